import type { LucideIcon } from "lucide-react";
import type { ReactNode } from "react";
import { Skeleton } from "@/components/ui/Spinner";

export function StatCard({
  label,
  value,
  detail,
  icon: Icon,
  loading,
  testId,
}: {
  label: string;
  value: ReactNode;
  detail?: ReactNode;
  icon: LucideIcon;
  loading?: boolean;
  testId?: string;
}) {
  return (
    <div className="card flex min-w-0 items-start gap-3 p-3 sm:p-4">
      <div className="hidden rounded-lg bg-indigo-50 p-2 text-indigo-700 sm:block dark:bg-indigo-950 dark:text-indigo-300">
        <Icon className="size-5" aria-hidden="true" />
      </div>
      <div className="min-w-0">
        <p className="text-sm muted">{label}</p>
        {loading ? (
          <Skeleton className="mt-1 h-7 w-20" />
        ) : (
          <p
            className="mt-0.5 truncate text-xl font-semibold tabular-nums sm:text-2xl"
            data-testid={testId}
          >
            {value}
          </p>
        )}
        {detail && !loading && <p className="mt-0.5 truncate text-xs muted">{detail}</p>}
      </div>
    </div>
  );
}
