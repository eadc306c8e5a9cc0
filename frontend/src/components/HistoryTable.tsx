import type { HistoryEntry } from "@/client";
import { SegmentBadge } from "@/components/ui/Badge";
import { Table, Td, Th } from "@/components/ui/Table";
import { formatDateTime, formatPercent, formatShortDateTime } from "@/lib/format";
import { segmentColor } from "@/lib/segments";

export function describeCustomer(entry: HistoryEntry): string {
  const data = entry.customer_data as Record<string, unknown>;
  if (typeof data.batch_size === "number") return `Batch of ${data.batch_size} rows`;
  return `${data.sex ?? "?"}, ${data.age ?? "?"} yrs, ${data.annual_income ?? "?"} k/yr, score ${data.spending_score ?? "?"}, ${data.purchase_frequency ?? "?"}/yr`;
}

/** A compact list of predictions (the dashboard's last 10). */
export function RecentPredictions({ entries }: { entries: HistoryEntry[] }) {
  return (
    <Table caption="Your most recent predictions">
      <thead>
        <tr>
          <Th>When</Th>
          <Th>Segment</Th>
          <Th className="text-right">Confidence</Th>
          <Th className="hidden md:table-cell">Customer</Th>
        </tr>
      </thead>
      <tbody>
        {entries.map((entry) => (
          <tr key={entry.id}>
            <Td className="whitespace-nowrap">
              <time dateTime={entry.created_at} title={formatDateTime(entry.created_at)}>
                {formatShortDateTime(entry.created_at)}
              </time>
            </Td>
            <Td>
              {entry.cluster_name ? (
                <SegmentBadge name={entry.cluster_name} color={segmentColor(entry.cluster)} />
              ) : (
                <span className="muted">Batch</span>
              )}
            </Td>
            <Td className="text-right tabular-nums">{formatPercent(entry.confidence)}</Td>
            <Td className="hidden text-slate-600 md:table-cell dark:text-slate-400">
              {describeCustomer(entry)}
            </Td>
          </tr>
        ))}
      </tbody>
    </Table>
  );
}
