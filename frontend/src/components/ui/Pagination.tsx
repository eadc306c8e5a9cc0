import { ChevronLeft, ChevronRight } from "lucide-react";
import { formatInt } from "@/lib/format";
import { Button } from "./Button";

export function Pagination({
  skip,
  limit,
  total,
  totalCapped = false,
  onChange,
  label = "Pages",
}: {
  skip: number;
  limit: number;
  total: number;
  /** The server stopped counting at `total`: more items exist, shown as "1,000+". */
  totalCapped?: boolean;
  onChange: (skip: number) => void;
  label?: string;
}) {
  if (total === 0) return null;
  const page = Math.floor(skip / limit) + 1;
  const pages = Math.max(1, Math.ceil(total / limit));
  const more = totalCapped ? "+" : "";
  return (
    <nav
      aria-label={label}
      className="flex flex-wrap items-center justify-between gap-2 border-t border-slate-200 px-4 py-3 text-sm sm:px-5 dark:border-slate-800"
    >
      <p className="muted">
        {formatInt(skip + 1)}–{formatInt(Math.min(skip + limit, total))} of {formatInt(total)}
        {more}
      </p>
      <div className="flex items-center gap-2">
        <Button
          variant="secondary"
          size="sm"
          icon={<ChevronLeft className="size-4" aria-hidden="true" />}
          disabled={page <= 1}
          onClick={() => onChange(Math.max(0, skip - limit))}
        >
          Previous
        </Button>
        <span className="muted tabular-nums" aria-current="page">
          Page {page} of {pages}
          {more}
        </span>
        <Button
          variant="secondary"
          size="sm"
          disabled={page >= pages && !totalCapped}
          onClick={() => onChange(skip + limit)}
        >
          Next
          <ChevronRight className="size-4" aria-hidden="true" />
        </Button>
      </div>
    </nav>
  );
}
