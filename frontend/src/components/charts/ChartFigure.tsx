import { type ReactNode, Suspense, useEffect, useId, useState } from "react";
import { Skeleton } from "@/components/ui/Spinner";

/**
 * A chart with its text alternative: a one-sentence summary read by screen readers
 * and a data table anyone can open. The chart itself is loaded on demand.
 */
export function ChartFigure({
  title,
  summary,
  table,
  children,
  height = 260,
}: {
  title: string;
  summary: string;
  table: ReactNode;
  children: ReactNode;
  height?: number;
}) {
  const id = useId();
  const visible = useIdle();
  return (
    <figure aria-labelledby={`${id}-title`} aria-describedby={`${id}-summary`} className="m-0">
      <figcaption className="sr-only">
        <span id={`${id}-title`}>{title}</span>
        <span id={`${id}-summary`}>{summary}</span>
      </figcaption>
      <div style={{ height }} className="w-full min-w-0" aria-hidden="true" data-chart={title}>
        {visible ? (
          <Suspense fallback={<Skeleton className="h-full w-full" />}>{children}</Suspense>
        ) : (
          <Skeleton className="h-full w-full" />
        )}
      </div>
      <details className="mt-2 text-sm">
        <summary className="cursor-pointer rounded text-xs font-medium text-indigo-700 select-none dark:text-indigo-300">
          Show data as a table
        </summary>
        <div className="relative mt-2 max-h-72 overflow-auto rounded-lg border border-slate-200 dark:border-slate-800">
          {table}
        </div>
      </details>
    </figure>
  );
}

/**
 * True once the browser is idle after the first render: charts are drawn after the
 * page's forms and numbers, so the page answers input first.
 */
function useIdle(): boolean {
  const [idle, setIdle] = useState(false);
  useEffect(() => {
    if (typeof requestIdleCallback === "undefined") {
      const timer = setTimeout(() => setIdle(true), 50);
      return () => clearTimeout(timer);
    }
    const handle = requestIdleCallback(() => setIdle(true), { timeout: 500 });
    return () => cancelIdleCallback(handle);
  }, []);
  return idle;
}

export function DataTable({
  caption,
  columns,
  rows,
}: {
  caption: string;
  columns: string[];
  rows: (string | number)[][];
}) {
  return (
    <table className="w-full text-left text-xs">
      <caption className="sr-only">{caption}</caption>
      <thead>
        <tr>
          {columns.map((column) => (
            <th
              key={column}
              scope="col"
              className="bg-slate-50 px-3 py-1.5 font-semibold dark:bg-slate-900"
            >
              {column}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {rows.map((row) => (
          <tr key={row.join("|")} className="border-t border-slate-100 dark:border-slate-800">
            {row.map((cell, index) => (
              <td key={`${columns[index]}`} className="px-3 py-1.5 tabular-nums">
                {cell}
              </td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}
