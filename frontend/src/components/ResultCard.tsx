import { ArrowDownRight, ArrowUpRight } from "lucide-react";
import type { ClusterSummary, Prediction } from "@/client";
import { distinctiveTraits, segmentColor } from "@/lib/segments";
import { ConfidenceGauge } from "./ConfidenceGauge";

/** The answer to a prediction: segment, confidence and what sets the segment apart. */
export function ResultCard({
  prediction,
  clusters,
  actions,
}: {
  prediction: Prediction;
  clusters: ClusterSummary[] | undefined;
  actions?: React.ReactNode;
}) {
  const segment = clusters?.find((c) => c.cluster_id === prediction.cluster);
  const traits = segment && clusters ? distinctiveTraits(segment, clusters).slice(0, 3) : [];
  return (
    <div
      className="rounded-xl border border-slate-200 p-4 dark:border-slate-800"
      aria-live="polite"
      data-testid="prediction-result"
    >
      <div className="flex flex-wrap items-center justify-between gap-4">
        <div className="min-w-0">
          <p className="text-xs font-medium tracking-wide uppercase muted">Segment</p>
          <p className="mt-1 flex items-center gap-2 text-xl font-semibold">
            <span
              className="size-3 shrink-0 rounded-full"
              style={{ backgroundColor: segmentColor(prediction.cluster) }}
              aria-hidden="true"
            />
            <span data-testid="segment-name">{prediction.cluster_name}</span>
          </p>
          {segment?.description && (
            <p className="mt-1 max-w-md text-sm muted">{segment.description}</p>
          )}
          <p className="mt-1 text-xs muted">
            Cluster {prediction.cluster} · model {prediction.model_version}
          </p>
        </div>
        <ConfidenceGauge value={prediction.confidence} />
      </div>
      {traits.length > 0 && (
        <div className="mt-4">
          <p className="text-sm font-medium">What sets this segment apart</p>
          <ul className="mt-2 grid grid-cols-[repeat(auto-fit,minmax(9rem,1fr))] gap-2">
            {traits.map((trait) => {
              const up = trait.delta >= 0;
              return (
                <li
                  key={trait.label}
                  className="rounded-lg bg-slate-50 px-3 py-2 text-sm dark:bg-slate-800/60"
                >
                  <p className="muted">{trait.label}</p>
                  <p className="font-semibold">{trait.value}</p>
                  <p
                    className={`flex items-center gap-0.5 text-xs ${up ? "text-emerald-700 dark:text-emerald-400" : "text-amber-800 dark:text-amber-300"}`}
                  >
                    {up ? (
                      <ArrowUpRight className="size-3.5" aria-hidden="true" />
                    ) : (
                      <ArrowDownRight className="size-3.5" aria-hidden="true" />
                    )}
                    {Math.abs(trait.delta * 100).toFixed(0)} % {up ? "above" : "below"} average
                  </p>
                </li>
              );
            })}
          </ul>
        </div>
      )}
      {actions && <div className="mt-4 flex flex-wrap gap-2">{actions}</div>}
    </div>
  );
}
