import { useQueryClient } from "@tanstack/react-query";
import { createFileRoute } from "@tanstack/react-router";
import { Download, Play } from "lucide-react";
import { type FormEvent, useState } from "react";
import { type BatchAnswer, predictBatchPredictBatchPost } from "@/client";
import { CategoryBars, ChartFigure, DataTable } from "@/components/charts";
import { FileDrop } from "@/components/FileDrop";
import { Alert } from "@/components/ui/Alert";
import { Button } from "@/components/ui/Button";
import { Card, CardBody, CardHeader } from "@/components/ui/Card";
import { TextField } from "@/components/ui/Field";
import { PageHeader } from "@/components/ui/PageHeader";
import { Pagination } from "@/components/ui/Pagination";
import { Progress } from "@/components/ui/Progress";
import { Table, Td, Th } from "@/components/ui/Table";
import { toast } from "@/components/ui/Toast";
import { uploadTransport } from "@/lib/api";
import { saveBlob } from "@/lib/download";
import { errorMessage } from "@/lib/errors";
import { formatInt } from "@/lib/format";
import { invalidate } from "@/lib/queries";

export const Route = createFileRoute("/_app/batch")({ component: BatchPage });

const ERRORS_PAGE = 20;

function BatchPage() {
  const queryClient = useQueryClient();
  const [file, setFile] = useState<File | null>(null);
  const [fill, setFill] = useState("");
  const [progress, setProgress] = useState<number | null>(null);
  const [phase, setPhase] = useState<"idle" | "uploading" | "scoring" | "downloading">("idle");
  const [answer, setAnswer] = useState<BatchAnswer | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [errorsSkip, setErrorsSkip] = useState(0);

  const fillValue = fill === "" ? undefined : Number(fill);
  const fillError =
    fillValue !== undefined && !(Number.isInteger(fillValue) && fillValue >= 0 && fillValue <= 365)
      ? "A whole number from 0 to 365"
      : undefined;

  const send = async (asCsv: boolean) => {
    if (!file || fillError) return null;
    const form = new FormData();
    form.append("file", file);
    setProgress(0);
    setPhase(asCsv ? "downloading" : "uploading");
    const { data } = await predictBatchPredictBatchPost({
      query: fillValue === undefined ? undefined : { fill_purchase_frequency: fillValue },
      headers: asCsv ? { Accept: "text/csv" } : undefined,
      parseAs: asCsv ? "blob" : "json",
      fetch: uploadTransport(form, (fraction) => {
        setProgress(fraction);
        if (fraction >= 1) setPhase("scoring");
      }),
      throwOnError: true,
    });
    void invalidate(queryClient, "listHistoryHistoryGet", "myProfileUsersMeProfileGet");
    return data;
  };

  const score = async (event: FormEvent) => {
    event.preventDefault();
    if (!file) {
      setError("Choose a CSV file first");
      return;
    }
    setError(null);
    setAnswer(null);
    setErrorsSkip(0);
    try {
      const data = (await send(false)) as BatchAnswer | null;
      if (data) {
        setAnswer(data);
        toast.success(`Scored ${formatInt(data.results.length)} rows`);
      }
    } catch (caught) {
      setError(errorMessage(caught));
    } finally {
      setPhase("idle");
    }
  };

  const download = async () => {
    try {
      const blob = (await send(true)) as Blob | null;
      if (blob && file) saveBlob(blob, `${file.name.replace(/\.csv$/i, "")}-scored.csv`);
    } catch (caught) {
      toast.error(caught);
    } finally {
      setPhase("idle");
    }
  };

  const counts = new Map<string, { cluster: number; count: number }>();
  for (const row of answer?.results ?? []) {
    const entry = counts.get(row.cluster_name) ?? { cluster: row.cluster, count: 0 };
    entry.count += 1;
    counts.set(row.cluster_name, entry);
  }
  const distribution = [...counts.entries()].map(([name, v]) => ({
    name,
    value: v.count,
    cluster: v.cluster,
  }));
  const busy = phase !== "idle";

  return (
    <>
      <PageHeader
        title="Batch scoring"
        description="Upload a CSV of customers (columns sex, age, annual_income, spending_score, purchase_frequency — the Mall Customers headers work too). Any size: it is streamed."
      />
      <div className="grid grid-cols-1 gap-6 lg:grid-cols-3">
        <Card className="lg:col-span-1" aria-labelledby="upload-title">
          <CardHeader id="upload-title" title="Upload" />
          <CardBody>
            <form
              onSubmit={(e) => void score(e)}
              className="space-y-4"
              noValidate
              aria-label="Score a CSV file"
            >
              <FileDrop
                label="Customers CSV"
                file={file}
                onFile={(f) => {
                  setFile(f);
                  setAnswer(null);
                  setError(null);
                }}
                hint="CSV with a header row"
              />
              <TextField
                label="Fill a missing purchase frequency (optional)"
                type="number"
                min={0}
                max={365}
                step={1}
                inputMode="numeric"
                value={fill}
                onChange={(e) => setFill(e.target.value)}
                error={fillError}
                hint="Used when the file has no purchase_frequency column"
              />
              {progress !== null && busy && (
                <div className="space-y-1">
                  <Progress value={progress} label="Upload progress" />
                  <p className="text-xs muted" aria-live="polite">
                    {phase === "scoring"
                      ? "Uploaded; scoring…"
                      : `Uploading… ${Math.round(progress * 100)} %`}
                  </p>
                </div>
              )}
              {error && <Alert tone="error">{error}</Alert>}
              <div className="flex flex-wrap gap-2">
                <Button
                  type="submit"
                  icon={<Play className="size-4" aria-hidden="true" />}
                  loading={busy && phase !== "downloading"}
                  disabled={busy || !!fillError}
                >
                  Score file
                </Button>
                <Button
                  variant="secondary"
                  icon={<Download className="size-4" aria-hidden="true" />}
                  onClick={() => void download()}
                  disabled={!file || busy || !!fillError}
                  loading={phase === "downloading"}
                >
                  Download scored CSV
                </Button>
              </div>
              <p className="text-xs muted">
                The scored CSV keeps your columns and adds cluster, cluster_name and confidence.
                Each run is one entry in your history.
              </p>
            </form>
          </CardBody>
        </Card>
        <Card className="lg:col-span-2" aria-labelledby="result-title">
          <CardHeader
            id="result-title"
            title="Result"
            description={
              answer
                ? `Model ${answer.model_version}`
                : "Score a file to see its segments and the rows that were refused."
            }
          />
          {answer ? (
            <CardBody className="space-y-6">
              <dl className="grid grid-cols-3 gap-3 text-center">
                <div className="rounded-lg bg-slate-50 p-3 dark:bg-slate-800/60">
                  <dt className="text-xs muted">Rows</dt>
                  <dd className="text-xl font-semibold tabular-nums" data-testid="batch-rows">
                    {formatInt(answer.results.length + answer.errors.length)}
                  </dd>
                </div>
                <div className="rounded-lg bg-emerald-50 p-3 dark:bg-emerald-950/40">
                  <dt className="text-xs muted">Scored</dt>
                  <dd className="text-xl font-semibold tabular-nums" data-testid="batch-scored">
                    {formatInt(answer.results.length)}
                  </dd>
                </div>
                <div className="rounded-lg bg-red-50 p-3 dark:bg-red-950/40">
                  <dt className="text-xs muted">Refused</dt>
                  <dd className="text-xl font-semibold tabular-nums" data-testid="batch-errors">
                    {formatInt(answer.errors.length)}
                  </dd>
                </div>
              </dl>
              {distribution.length > 0 && (
                <ChartFigure
                  title="Scored rows per segment"
                  summary={distribution.map((d) => `${d.name}: ${d.value}`).join("; ")}
                  height={Math.max(160, distribution.length * 40)}
                  table={
                    <DataTable
                      caption="Scored rows per segment"
                      columns={["Segment", "Rows"]}
                      rows={distribution.map((d) => [d.name, d.value])}
                    />
                  }
                >
                  <CategoryBars data={distribution} />
                </ChartFigure>
              )}
              {answer.errors.length > 0 ? (
                <div>
                  <h3 className="mb-2 text-sm font-semibold">Refused rows</h3>
                  <div className="overflow-hidden rounded-lg border border-slate-200 dark:border-slate-800">
                    <Table caption="Rows that could not be scored, with the reason">
                      <thead>
                        <tr>
                          <Th className="w-24">Row</Th>
                          <Th>Reason</Th>
                        </tr>
                      </thead>
                      <tbody>
                        {answer.errors.slice(errorsSkip, errorsSkip + ERRORS_PAGE).map((e) => (
                          <tr key={e.row}>
                            <Td className="tabular-nums">{e.row + 1}</Td>
                            <Td className="break-words">
                              {typeof e.detail === "string" ? e.detail : JSON.stringify(e.detail)}
                            </Td>
                          </tr>
                        ))}
                      </tbody>
                    </Table>
                    <Pagination
                      skip={errorsSkip}
                      limit={ERRORS_PAGE}
                      total={answer.errors.length}
                      onChange={setErrorsSkip}
                      label="Refused rows pages"
                    />
                  </div>
                  <p className="mt-1 text-xs muted">
                    Row numbers count data rows from 1 (the header is not counted).
                  </p>
                </div>
              ) : (
                <Alert tone="success">Every row was scored.</Alert>
              )}
            </CardBody>
          ) : (
            <CardBody>
              <p className="text-sm muted">Nothing scored yet.</p>
            </CardBody>
          )}
        </Card>
      </div>
    </>
  );
}
