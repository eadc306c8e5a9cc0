import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { createFileRoute, useNavigate } from "@tanstack/react-router";
import { ChevronDown, ChevronRight, Download, FilterX, RefreshCw, Trash2 } from "lucide-react";
import { Fragment, useState } from "react";
import { exportHistoryHistoryExportGet, type HistoryEntry } from "@/client";
import {
  clustersClustersGetOptions,
  deleteEntryHistoryEntryIdDeleteMutation,
  listHistoryHistoryGetOptions,
} from "@/client/@tanstack/react-query.gen";
import { describeCustomer } from "@/components/HistoryTable";
import { SegmentBadge } from "@/components/ui/Badge";
import { Button } from "@/components/ui/Button";
import { Card } from "@/components/ui/Card";
import { ConfirmDialog } from "@/components/ui/Dialog";
import { SelectField, TextField } from "@/components/ui/Field";
import { PageHeader } from "@/components/ui/PageHeader";
import { Pagination } from "@/components/ui/Pagination";
import { Loading } from "@/components/ui/Spinner";
import { EmptyState, ErrorState } from "@/components/ui/States";
import { Table, Td, Th } from "@/components/ui/Table";
import { toast } from "@/components/ui/Toast";
import { saveBlob } from "@/lib/download";
import { formatDateTime, formatPercent, formatShortDateTime } from "@/lib/format";
import { invalidate } from "@/lib/queries";
import { optionalDay, optionalInt, optionalNumber } from "@/lib/search";
import { segmentColor } from "@/lib/segments";

const PAGE_SIZE = 25;

interface HistorySearch {
  cluster?: number;
  date_from?: string;
  date_to?: string;
  min_confidence?: number;
  skip?: number;
}

export const Route = createFileRoute("/_app/history")({
  validateSearch: (search: Record<string, unknown>): HistorySearch => ({
    cluster: optionalInt(search.cluster, 0, 100),
    date_from: optionalDay(search.date_from),
    date_to: optionalDay(search.date_to),
    min_confidence: optionalNumber(search.min_confidence, 0, 100),
    skip: optionalInt(search.skip, 0),
  }),
  component: HistoryPage,
});

function filtersOf(search: HistorySearch) {
  return {
    cluster: search.cluster,
    date_from: search.date_from,
    date_to: search.date_to,
    min_confidence: search.min_confidence,
  };
}

function HistoryPage() {
  const search = Route.useSearch();
  const navigate = useNavigate({ from: Route.fullPath });
  const queryClient = useQueryClient();
  const skip = search.skip ?? 0;
  const filters = filtersOf(search);
  const history = useQuery({
    ...listHistoryHistoryGetOptions({ query: { ...filters, skip, limit: PAGE_SIZE } }),
    placeholderData: (previous) => previous,
  });
  const clusters = useQuery(clustersClustersGetOptions());
  const [expanded, setExpanded] = useState<number | null>(null);
  const [deleting, setDeleting] = useState<HistoryEntry | null>(null);
  const [exporting, setExporting] = useState(false);

  const remove = useMutation({
    ...deleteEntryHistoryEntryIdDeleteMutation(),
    onSuccess: () => {
      toast.success("Prediction deleted");
      setDeleting(null);
      void invalidate(queryClient, "listHistoryHistoryGet", "myProfileUsersMeProfileGet");
    },
    onError: (error) => toast.error(error),
  });

  const setFilter = (patch: Partial<HistorySearch>) =>
    void navigate({
      search: (previous) => ({ ...previous, ...patch, skip: undefined }),
      replace: true,
    });

  const exportCsv = async () => {
    setExporting(true);
    try {
      const { data } = await exportHistoryHistoryExportGet({
        query: filters,
        parseAs: "blob",
        throwOnError: true,
      });
      saveBlob(
        new Blob([data], { type: "text/csv" }),
        `history-${new Date().toISOString().slice(0, 10)}.csv`,
      );
      toast.success("Export downloaded");
    } catch (error) {
      toast.error(error);
    } finally {
      setExporting(false);
    }
  };

  const active = Object.values(filters).some((v) => v !== undefined);
  const entries = history.data?.history ?? [];

  return (
    <>
      <PageHeader
        title="Prediction history"
        description="Every prediction you made, newest first. Filters stay in the address, so a filtered view can be bookmarked or shared."
        actions={
          <>
            <Button
              variant="ghost"
              icon={<RefreshCw className="size-4" aria-hidden="true" />}
              onClick={() => void history.refetch()}
              loading={history.isFetching && !history.isPending}
            >
              Refresh
            </Button>
            <Button
              variant="secondary"
              icon={<Download className="size-4" aria-hidden="true" />}
              onClick={() => void exportCsv()}
              loading={exporting}
            >
              Export CSV
            </Button>
          </>
        }
      />
      <Card className="mb-4 p-4">
        <form
          className="grid grid-cols-1 gap-4 sm:grid-cols-2 lg:grid-cols-5"
          aria-label="Filters"
          onSubmit={(e) => e.preventDefault()}
        >
          <SelectField
            label="Segment"
            value={search.cluster ?? ""}
            onChange={(e) =>
              setFilter({ cluster: e.target.value === "" ? undefined : Number(e.target.value) })
            }
          >
            <option value="">All segments</option>
            {clusters.data?.clusters.map((c) => (
              <option key={c.cluster_id} value={c.cluster_id}>
                {c.cluster_name} (cluster {c.cluster_id})
              </option>
            ))}
            {search.cluster !== undefined &&
              !clusters.data?.clusters.some((c) => c.cluster_id === search.cluster) && (
                <option value={search.cluster}>Cluster {search.cluster}</option>
              )}
          </SelectField>
          <TextField
            label="From"
            type="date"
            value={search.date_from ?? ""}
            max={search.date_to}
            onChange={(e) => setFilter({ date_from: e.target.value || undefined })}
          />
          <TextField
            label="To"
            type="date"
            value={search.date_to ?? ""}
            min={search.date_from}
            onChange={(e) => setFilter({ date_to: e.target.value || undefined })}
          />
          <TextField
            label="Minimum confidence (%)"
            type="number"
            min={0}
            max={100}
            step="any"
            inputMode="decimal"
            defaultValue={search.min_confidence ?? ""}
            key={`conf-${search.min_confidence ?? ""}`}
            onBlur={(e) => {
              const value =
                e.target.value === "" ? undefined : optionalNumber(e.target.value, 0, 100);
              setFilter({ min_confidence: value });
            }}
            onKeyDown={(e) => {
              if (e.key === "Enter") e.currentTarget.blur();
            }}
            hint="0 to 100"
          />
          <div className="flex items-end">
            <Button
              variant="ghost"
              icon={<FilterX className="size-4" aria-hidden="true" />}
              disabled={!active}
              onClick={() => void navigate({ search: {}, replace: true })}
            >
              Clear filters
            </Button>
          </div>
        </form>
      </Card>
      <Card aria-labelledby="history-table-title">
        <h2 id="history-table-title" className="sr-only">
          Predictions
        </h2>
        {history.isPending ? (
          <Loading />
        ) : history.isError ? (
          <ErrorState error={history.error} onRetry={() => void history.refetch()} />
        ) : entries.length === 0 ? (
          <EmptyState title={active ? "No prediction matches these filters" : "No predictions yet"}>
            {active
              ? "Change or clear the filters."
              : "Predictions you make on the dashboard, from profiles or in batches show here."}
          </EmptyState>
        ) : (
          <>
            <Table caption="Predictions, newest first">
              <thead>
                <tr>
                  <Th className="w-10">
                    <span className="sr-only">Details</span>
                  </Th>
                  <Th>When</Th>
                  <Th>Segment</Th>
                  <Th className="text-right">Confidence</Th>
                  <Th className="hidden lg:table-cell">Customer</Th>
                  <Th className="w-12">
                    <span className="sr-only">Actions</span>
                  </Th>
                </tr>
              </thead>
              <tbody>
                {entries.map((entry) => (
                  <Fragment key={entry.id}>
                    <tr data-testid="history-row">
                      <Td>
                        <button
                          type="button"
                          className="rounded p-1 text-slate-500 hover:bg-slate-100 hover:text-slate-800 dark:hover:bg-slate-800 dark:hover:text-slate-200"
                          aria-expanded={expanded === entry.id}
                          aria-controls={`details-${entry.id}`}
                          aria-label={`Details of the prediction of ${formatDateTime(entry.created_at)}`}
                          onClick={() => setExpanded(expanded === entry.id ? null : entry.id)}
                        >
                          {expanded === entry.id ? (
                            <ChevronDown className="size-4" aria-hidden="true" />
                          ) : (
                            <ChevronRight className="size-4" aria-hidden="true" />
                          )}
                        </button>
                      </Td>
                      <Td className="whitespace-nowrap">
                        <time dateTime={entry.created_at} title={formatDateTime(entry.created_at)}>
                          {formatShortDateTime(entry.created_at)}
                        </time>
                      </Td>
                      <Td>
                        {entry.cluster_name ? (
                          <SegmentBadge
                            name={entry.cluster_name}
                            color={segmentColor(entry.cluster)}
                          />
                        ) : (
                          <span className="muted">Batch</span>
                        )}
                      </Td>
                      <Td className="text-right tabular-nums">{formatPercent(entry.confidence)}</Td>
                      <Td className="hidden text-slate-600 lg:table-cell dark:text-slate-400">
                        {describeCustomer(entry)}
                      </Td>
                      <Td>
                        <button
                          type="button"
                          className="rounded p-1.5 text-slate-500 hover:bg-red-50 hover:text-red-700 dark:hover:bg-red-950 dark:hover:text-red-300"
                          aria-label={`Delete the prediction of ${formatDateTime(entry.created_at)}`}
                          onClick={() => setDeleting(entry)}
                        >
                          <Trash2 className="size-4" aria-hidden="true" />
                        </button>
                      </Td>
                    </tr>
                    {expanded === entry.id && (
                      <tr id={`details-${entry.id}`}>
                        <td
                          colSpan={6}
                          className="border-b border-slate-100 bg-slate-50 px-5 py-3 dark:border-slate-800 dark:bg-slate-900/60"
                        >
                          <dl className="grid grid-cols-2 gap-x-6 gap-y-2 text-sm sm:grid-cols-4">
                            {Object.entries(entry.customer_data).map(([key, value]) => (
                              <div key={key} className="min-w-0">
                                <dt className="text-xs muted">{key.replaceAll("_", " ")}</dt>
                                <dd className="truncate font-medium">
                                  {typeof value === "object"
                                    ? JSON.stringify(value)
                                    : String(value)}
                                </dd>
                              </div>
                            ))}
                            <div>
                              <dt className="text-xs muted">model</dt>
                              <dd className="font-medium">{entry.model_version ?? "–"}</dd>
                            </div>
                            <div>
                              <dt className="text-xs muted">cluster</dt>
                              <dd className="font-medium">{entry.cluster ?? "–"}</dd>
                            </div>
                            <div>
                              <dt className="text-xs muted">from profile</dt>
                              <dd className="font-medium">{entry.profile_id ?? "–"}</dd>
                            </div>
                            <div>
                              <dt className="text-xs muted">id</dt>
                              <dd className="font-medium">{entry.id}</dd>
                            </div>
                          </dl>
                        </td>
                      </tr>
                    )}
                  </Fragment>
                ))}
              </tbody>
            </Table>
            <Pagination
              skip={skip}
              limit={PAGE_SIZE}
              total={history.data.total}
              totalCapped={history.data.total_capped}
              label="History pages"
              onChange={(next) =>
                void navigate({ search: (previous) => ({ ...previous, skip: next || undefined }) })
              }
            />
          </>
        )}
      </Card>
      <ConfirmDialog
        open={deleting !== null}
        onClose={() => setDeleting(null)}
        onConfirm={() => deleting && remove.mutate({ path: { entry_id: deleting.id } })}
        busy={remove.isPending}
        title="Delete this prediction?"
        description={
          deleting
            ? `${deleting.cluster_name ?? "Batch"} · ${formatDateTime(deleting.created_at)}. It is removed from your history and counts for good.`
            : undefined
        }
      />
    </>
  );
}
