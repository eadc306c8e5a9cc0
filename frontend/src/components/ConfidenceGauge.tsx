/** A half-circle gauge of a 0..100 confidence. */
export function ConfidenceGauge({ value }: { value: number }) {
  const clamped = Math.max(0, Math.min(100, value));
  const angle = Math.PI * (1 - clamped / 100);
  const x = 50 + 40 * Math.cos(angle);
  const y = 50 - 40 * Math.sin(angle);
  const large = 0;
  const level = clamped >= 60 ? "High" : clamped >= 30 ? "Medium" : "Low";
  const color =
    clamped >= 60 ? "stroke-emerald-500" : clamped >= 30 ? "stroke-amber-500" : "stroke-red-500";
  return (
    <div className="relative w-40">
      <meter
        className="sr-only"
        min={0}
        max={100}
        low={30}
        high={60}
        optimum={100}
        value={clamped}
        aria-label={`Confidence ${clamped.toFixed(1)} percent, ${level.toLowerCase()}`}
      />
      <svg viewBox="0 0 100 56" className="w-full" aria-hidden="true">
        <path
          d="M10 50 A40 40 0 0 1 90 50"
          fill="none"
          strokeWidth="9"
          strokeLinecap="round"
          className="stroke-slate-200 dark:stroke-slate-800"
        />
        {clamped >= 1 && (
          <path
            d={`M10 50 A40 40 0 ${large} 1 ${x.toFixed(2)} ${y.toFixed(2)}`}
            fill="none"
            strokeWidth="9"
            strokeLinecap="round"
            className={color}
          />
        )}
      </svg>
      <div className="absolute inset-x-0 bottom-0 text-center">
        <p className="text-2xl font-semibold tabular-nums" data-testid="confidence">
          {clamped.toFixed(1)}%
        </p>
        <p className="text-xs muted">{level} confidence</p>
      </div>
    </div>
  );
}
