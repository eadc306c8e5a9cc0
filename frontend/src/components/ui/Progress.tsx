import { cn } from "@/lib/cn";

/** A labelled progress bar (0..1). */
export function Progress({
  value,
  label,
  className,
  tone = "brand",
}: {
  value: number;
  label: string;
  className?: string;
  tone?: "brand" | "success" | "danger";
}) {
  const percent = Math.round(Math.min(1, Math.max(0, value)) * 100);
  const bar = {
    brand: "bg-indigo-600 dark:bg-indigo-400",
    success: "bg-emerald-600 dark:bg-emerald-400",
    danger: "bg-red-600 dark:bg-red-400",
  }[tone];
  return (
    <div
      role="progressbar"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={percent}
      aria-valuetext={`${percent} %`}
      className={cn(
        "h-2.5 w-full overflow-hidden rounded-full bg-slate-200 dark:bg-slate-800",
        className,
      )}
    >
      <div
        className={cn("h-full rounded-full transition-[width] duration-300", bar)}
        style={{ width: `${percent}%` }}
      />
    </div>
  );
}
