import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { createFileRoute, redirect } from "@tanstack/react-router";
import { CheckCircle2, Database, FileDown, Rocket, Upload } from "lucide-react";
import { type FormEvent, useEffect, useState } from "react";
import {
  type DatasetPublic,
  type ModelItem,
  segmentsPdfReportsSegmentsPdfGet,
  segmentsXlsxReportsSegmentsXlsxGet,
  uploadDatasetDatasetsPost,
} from "@/client";
import {
  activateModelModelsVersionActivatePostMutation,
  clustersClustersGetOptions,
  elbowElbowGetOptions,
  listDatasetsDatasetsGetOptions,
  listModelsModelsGetOptions,
  startTrainingJobTrainJobsPostMutation,
} from "@/client/@tanstack/react-query.gen";
import { ChartFigure, DataTable, MetricByK } from "@/components/charts";
import { FileDrop } from "@/components/FileDrop";
import { CompareCard, DriftBadge, ExplanationCard } from "@/components/models/Analytics";
import {
  ALGORITHM_LABELS,
  type Algorithm,
  AlgorithmSelect,
  DatasetSelect,
  datasetParam,
  FEATURE_LABELS,
  FEATURES,
  type Feature,
  FeatureChoice,
  KRangeFields,
  kError,
  parseK,
  useJob,
  useKRange,
} from "@/components/models/TrainingFields";
import { RequireRole } from "@/components/RequireRole";
import { Alert } from "@/components/ui/Alert";
import { Badge, SegmentBadge } from "@/components/ui/Badge";
import { Button } from "@/components/ui/Button";
import { Card, CardBody, CardHeader } from "@/components/ui/Card";
import { ConfirmDialog } from "@/components/ui/Dialog";
import { SelectField, TextField } from "@/components/ui/Field";
import { PageHeader } from "@/components/ui/PageHeader";
import { Progress } from "@/components/ui/Progress";
import { Loading } from "@/components/ui/Spinner";
import { EmptyState, ErrorState } from "@/components/ui/States";
import { Table, Td, Th } from "@/components/ui/Table";
import { toast } from "@/components/ui/Toast";
import { useSession } from "@/hooks/useSession";
import { uploadTransport } from "@/lib/api";
import { saveBlob } from "@/lib/download";
import { errorMessage } from "@/lib/errors";
import { formatDateTime, formatInt, formatNumber } from "@/lib/format";
import { invalidate } from "@/lib/queries";
import { hasRole } from "@/lib/roles";
import { segmentColor } from "@/lib/segments";
import { session } from "@/lib/session";

export const Route = createFileRoute("/_app/models")({
  beforeLoad: () => {
    if (!hasRole(session.getState().user, "analyst")) throw redirect({ to: "/dashboard" });
  },
  component: () => (
    <RequireRole needs="analyst">
      <ModelsPage />
    </RequireRole>
  ),
});

function ModelsPage() {
  const [explained, setExplained] = useState<string | null>(null);
  const models = useQuery(listModelsModelsGetOptions());
  const active = models.data?.models.find((m) => m.active)?.version ?? null;
  const shown = explained ?? active;
  return (
    <>
      <PageHeader
        title="Models"
        description="Upload datasets, compare algorithms, train new model versions, read what their segments mean, watch them for drift and choose which one serves predictions."
      />
      <div className="grid grid-cols-1 gap-6 xl:grid-cols-2">
        <DatasetsCard />
        <TrainCard />
      </div>
      <CompareCard />
      <VersionsCard explained={shown} onExplain={setExplained} />
      {shown && <ExplanationCard version={shown} />}
      <div className="mt-6 grid grid-cols-1 gap-6 xl:grid-cols-2">
        <ElbowCards />
      </div>
      <ClusterProfilesCard />
    </>
  );
}

function DatasetsCard() {
  const queryClient = useQueryClient();
  const datasets = useQuery(listDatasetsDatasetsGetOptions());
  const [file, setFile] = useState<File | null>(null);
  const [name, setName] = useState("");
  const [fill, setFill] = useState("12");
  const [progress, setProgress] = useState<number | null>(null);
  const [uploaded, setUploaded] = useState<DatasetPublic | null>(null);
  const [error, setError] = useState<string | null>(null);

  const fillValue = fill === "" ? undefined : Number(fill);
  const fillError =
    fillValue !== undefined && !(Number.isInteger(fillValue) && fillValue >= 0 && fillValue <= 365)
      ? "A whole number from 0 to 365"
      : undefined;

  const upload = async (event: FormEvent) => {
    event.preventDefault();
    if (!file) {
      setError("Choose a CSV file first");
      return;
    }
    if (fillError) return;
    const form = new FormData();
    form.append("file", file);
    if (name.trim()) form.append("name", name.trim());
    setError(null);
    setUploaded(null);
    setProgress(0);
    try {
      const { data } = await uploadDatasetDatasetsPost({
        body: { file, name: name.trim() || undefined },
        query: fillValue === undefined ? undefined : { fill_purchase_frequency: fillValue },
        fetch: uploadTransport(form, setProgress),
        throwOnError: true,
      });
      setUploaded(data);
      toast.success(`Dataset “${data.name}” uploaded: ${formatInt(data.rows)} rows`);
      void invalidate(queryClient, "listDatasetsDatasetsGet");
    } catch (caught) {
      setError(errorMessage(caught));
    } finally {
      setProgress(null);
    }
  };

  return (
    <Card aria-labelledby="datasets-title">
      <CardHeader
        id="datasets-title"
        title="Datasets"
        description="CSV files to train on. Rows outside the input ranges are refused and listed."
      />
      <CardBody className="space-y-4">
        <form
          onSubmit={(e) => void upload(e)}
          className="space-y-4"
          noValidate
          aria-label="Upload a dataset"
        >
          <FileDrop
            label="Dataset CSV"
            file={file}
            onFile={(f) => {
              setFile(f);
              setError(null);
            }}
            hint="The Mall Customers file works as published"
          />
          <div className="grid gap-4 sm:grid-cols-2">
            <TextField
              label="Name (optional)"
              value={name}
              onChange={(e) => setName(e.target.value)}
              maxLength={100}
            />
            <TextField
              label="Fill a missing purchase frequency"
              type="number"
              min={0}
              max={365}
              step={1}
              value={fill}
              onChange={(e) => setFill(e.target.value)}
              error={fillError}
              hint="For files without that column (Mall Customers)"
            />
          </div>
          {progress !== null && <Progress value={progress} label="Dataset upload progress" />}
          {error && <Alert tone="error">{error}</Alert>}
          <Button
            type="submit"
            icon={<Upload className="size-4" aria-hidden="true" />}
            loading={progress !== null}
          >
            Upload dataset
          </Button>
        </form>
        {uploaded && (
          <Alert
            tone={uploaded.rejected_rows ? "warning" : "success"}
            title={`“${uploaded.name}”: ${formatInt(uploaded.rows)} rows accepted, ${formatInt(uploaded.rejected_rows)} refused`}
          >
            <p>Columns: {uploaded.columns.join(", ")}</p>
            {uploaded.rejected_examples.length > 0 && (
              <ul className="mt-1 list-disc pl-5" aria-label="Examples of refused rows">
                {uploaded.rejected_examples.map((example) => (
                  <li key={JSON.stringify(example)}>
                    {Object.entries(example)
                      .map(([k, v]) => `${k}: ${String(v)}`)
                      .join(" · ")}
                  </li>
                ))}
              </ul>
            )}
          </Alert>
        )}
        <div>
          <h3 className="mb-2 text-sm font-semibold">Uploaded datasets</h3>
          {datasets.isPending ? (
            <Loading />
          ) : datasets.isError ? (
            <ErrorState error={datasets.error} onRetry={() => void datasets.refetch()} />
          ) : datasets.data.length === 0 ? (
            <p className="text-sm muted">None yet.</p>
          ) : (
            <div className="overflow-hidden rounded-lg border border-slate-200 dark:border-slate-800">
              <Table caption="Datasets">
                <thead>
                  <tr>
                    <Th>Id</Th>
                    <Th>Name</Th>
                    <Th className="text-right">Rows</Th>
                    <Th className="text-right">Refused</Th>
                    <Th className="hidden sm:table-cell">Uploaded</Th>
                  </tr>
                </thead>
                <tbody>
                  {datasets.data.map((d) => (
                    <tr key={d.dataset_id} data-testid="dataset-row">
                      <Td className="tabular-nums">{d.dataset_id}</Td>
                      <Td className="max-w-40 truncate font-medium">{d.name}</Td>
                      <Td className="text-right tabular-nums">{formatInt(d.rows)}</Td>
                      <Td className="text-right tabular-nums">{formatInt(d.rejected_rows)}</Td>
                      <Td className="hidden whitespace-nowrap sm:table-cell">
                        {formatDateTime(d.created_at)}
                      </Td>
                    </tr>
                  ))}
                </tbody>
              </Table>
            </div>
          )}
        </div>
      </CardBody>
    </Card>
  );
}

function TrainCard() {
  const queryClient = useQueryClient();
  const [datasetId, setDatasetId] = useState("");
  const [mode, setMode] = useState<"auto" | "fixed">("auto");
  const range = useKRange("2", "10");
  const [k, setK] = useState("5");
  const [algorithm, setAlgorithm] = useState<Algorithm>("kmeans");
  const [features, setFeatures] = useState<Feature[]>([...FEATURES]);
  const [jobId, setJobId] = useState<string | null>(null);

  const start = useMutation({
    ...startTrainingJobTrainJobsPostMutation(),
    onSuccess: (accepted) => setJobId(accepted.job_id),
  });
  const job = useJob(jobId);
  const status = job.data?.status;
  useEffect(() => {
    if (status === "succeeded") {
      toast.success("Training finished: a new version is live");
      void invalidate(queryClient, "listModelsModelsGet", "clustersClustersGet", "elbowElbowGet");
    }
  }, [status, queryClient]);

  const kFixedError = mode === "fixed" ? kError(k) : undefined;

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if ((mode === "auto" && range.invalid) || kFixedError || features.length < 2) return;
    setJobId(null);
    start.mutate({
      body: {
        dataset_id: datasetParam(datasetId),
        algorithm,
        features,
        ...(mode === "auto" ? range.bounds : { n_clusters: parseK(k) }),
      },
    });
  };
  const running = start.isPending || status === "queued" || status === "running";
  const result = job.data?.result;
  const trained = result && "model_version" in result ? result : null;

  return (
    <Card aria-labelledby="train-title">
      <CardHeader
        id="train-title"
        title="Train a model"
        description="Training runs as a job; the new version goes live when it succeeds."
      />
      <CardBody>
        <form onSubmit={submit} className="space-y-4" noValidate aria-label="Train a model">
          <DatasetSelect label="Dataset" value={datasetId} onChange={setDatasetId} />
          <AlgorithmSelect value={algorithm} onChange={setAlgorithm} />
          <FeatureChoice value={features} onChange={setFeatures} legend="Features to cluster on" />
          <fieldset>
            <legend className="mb-1 text-sm font-medium">Number of clusters</legend>
            <div className="flex flex-wrap gap-4 text-sm">
              <label className="flex items-center gap-2">
                <input
                  type="radio"
                  name="k-mode"
                  checked={mode === "auto"}
                  onChange={() => setMode("auto")}
                  className="size-4 accent-indigo-600"
                />
                Best silhouette in a range
              </label>
              <label className="flex items-center gap-2">
                <input
                  type="radio"
                  name="k-mode"
                  checked={mode === "fixed"}
                  onChange={() => setMode("fixed")}
                  className="size-4 accent-indigo-600"
                />
                Fixed k
              </label>
            </div>
          </fieldset>
          {mode === "auto" ? (
            <KRangeFields
              range={range}
              minLabel="Smallest k"
              maxLabel="Largest k"
              className="grid gap-4 sm:grid-cols-2"
            />
          ) : (
            <TextField
              label="k (clusters)"
              type="number"
              min={2}
              max={15}
              value={k}
              onChange={(e) => setK(e.target.value)}
              error={kFixedError}
              hint="2 to 15; the elbow curve is still computed"
            />
          )}
          {start.isError && <Alert tone="error">{errorMessage(start.error)}</Alert>}
          <Button
            type="submit"
            icon={<Rocket className="size-4" aria-hidden="true" />}
            loading={running}
          >
            Start training
          </Button>
        </form>
        {jobId && (
          <div
            className="mt-5 rounded-lg border border-slate-200 p-4 dark:border-slate-800"
            aria-live="polite"
          >
            <div className="mb-2 flex items-center justify-between gap-2 text-sm">
              <span className="font-medium">
                Job <code className="text-xs">{jobId.slice(0, 8)}</code> ·{" "}
                <span data-testid="job-status">{status ?? "queued"}</span>
              </span>
              <span className="tabular-nums muted" data-testid="job-progress">
                {Math.round((job.data?.progress ?? 0) * 100)} %
              </span>
            </div>
            <Progress
              value={job.data?.progress ?? 0}
              label="Training progress"
              tone={status === "failed" ? "danger" : status === "succeeded" ? "success" : "brand"}
            />
            <p className="mt-2 text-xs muted">Stage: {job.data?.stage ?? "waiting"}</p>
            {status === "failed" && (
              <Alert tone="error" className="mt-3">
                {job.data?.error ?? "Training failed"}
              </Alert>
            )}
            {job.isError && (
              <Alert tone="error" className="mt-3">
                {errorMessage(job.error)}
              </Alert>
            )}
            {status === "succeeded" && trained && (
              <Alert
                tone="success"
                className="mt-3"
                title={`Version ${trained.model_version} is live`}
              >
                {ALGORITHM_LABELS[trained.algorithm ?? "kmeans"]} · k = {trained.n_clusters} ·
                silhouette {formatNumber(trained.silhouette_score)} · {formatInt(trained.n_samples)}{" "}
                samples · {trained.duration_seconds.toFixed(1)} s
              </Alert>
            )}
          </div>
        )}
      </CardBody>
    </Card>
  );
}

function VersionsCard({
  explained,
  onExplain,
}: {
  explained: string | null;
  onExplain: (version: string) => void;
}) {
  const queryClient = useQueryClient();
  const { user } = useSession();
  const isAdmin = hasRole(user, "admin");
  const models = useQuery(listModelsModelsGetOptions());
  const [target, setTarget] = useState<ModelItem | null>(null);
  const activate = useMutation({
    ...activateModelModelsVersionActivatePostMutation(),
    onSuccess: (item) => {
      toast.success(`Version ${item.version} is now live`);
      setTarget(null);
      void invalidate(queryClient, "listModelsModelsGet", "clustersClustersGet", "elbowElbowGet");
    },
    onError: (error) => toast.error(error),
  });
  const items = models.data?.models ?? [];
  const active = items.find((m) => m.active)?.version ?? "";
  const [reportVersion, setReportVersion] = useState("");
  const [downloading, setDownloading] = useState<"xlsx" | "pdf" | null>(null);
  const version = reportVersion || active;
  const download = async (kind: "xlsx" | "pdf") => {
    setDownloading(kind);
    try {
      const options = { query: { version }, parseAs: "blob" as const, throwOnError: true as const };
      const { data } =
        kind === "xlsx"
          ? await segmentsXlsxReportsSegmentsXlsxGet(options)
          : await segmentsPdfReportsSegmentsPdfGet(options);
      saveBlob(data as Blob, `segments-${version}.${kind}`);
      toast.success(`Report for ${version} downloaded`);
    } catch (error) {
      toast.error(error);
    } finally {
      setDownloading(null);
    }
  };
  return (
    <Card className="mt-6" aria-labelledby="versions-title">
      <CardHeader
        id="versions-title"
        title="Versions"
        description={
          isAdmin
            ? "Activate an older version to roll back."
            : "Admins can activate a version (roll back)."
        }
      />
      {items.length > 0 && (
        <div className="flex flex-wrap items-end gap-3 border-b border-slate-200 px-5 pb-4 dark:border-slate-800">
          <SelectField
            label="Report on version"
            value={version}
            onChange={(e) => setReportVersion(e.target.value)}
            className="min-w-56"
          >
            {items.map((m) => (
              <option key={m.version} value={m.version}>
                {m.version}
                {m.active ? " (active)" : ""}
              </option>
            ))}
          </SelectField>
          <Button
            variant="secondary"
            icon={<FileDown className="size-4" aria-hidden="true" />}
            loading={downloading === "xlsx"}
            onClick={() => void download("xlsx")}
          >
            Download report (Excel)
          </Button>
          <Button
            variant="secondary"
            icon={<FileDown className="size-4" aria-hidden="true" />}
            loading={downloading === "pdf"}
            onClick={() => void download("pdf")}
          >
            Download report (PDF)
          </Button>
        </div>
      )}
      {models.isPending ? (
        <Loading />
      ) : models.isError ? (
        <ErrorState error={models.error} onRetry={() => void models.refetch()} />
      ) : items.length === 0 ? (
        <EmptyState title="No model yet" icon={<Database className="size-5" aria-hidden="true" />}>
          Train one above.
        </EmptyState>
      ) : (
        <Table caption="Model versions with their metrics">
          <thead>
            <tr>
              <Th>Version</Th>
              <Th>Algorithm</Th>
              <Th className="hidden xl:table-cell">Features</Th>
              <Th className="text-right">k</Th>
              <Th className="text-right">Silhouette</Th>
              <Th>Drift (7 days)</Th>
              <Th className="hidden text-right md:table-cell">Inertia</Th>
              <Th className="hidden text-right sm:table-cell">Samples</Th>
              <Th className="hidden lg:table-cell">Dataset</Th>
              <Th className="hidden lg:table-cell">Trained</Th>
              <Th className="text-right">Status</Th>
            </tr>
          </thead>
          <tbody>
            {items.map((m) => (
              <tr key={m.version} data-testid="model-row">
                <Td className="font-mono text-xs whitespace-nowrap">
                  <Button
                    size="sm"
                    variant="ghost"
                    aria-pressed={explained === m.version}
                    aria-label={`Explain ${m.version}`}
                    onClick={() => onExplain(m.version)}
                  >
                    {m.version}
                  </Button>
                </Td>
                <Td className="whitespace-nowrap">{ALGORITHM_LABELS[m.algorithm]}</Td>
                <Td className="hidden text-xs xl:table-cell">
                  {m.features.map((f) => FEATURE_LABELS[f]).join(", ")}
                </Td>
                <Td className="text-right tabular-nums">{m.n_clusters}</Td>
                <Td className="text-right tabular-nums">{m.silhouette_score.toFixed(3)}</Td>
                <Td>
                  <DriftBadge version={m.version} />
                </Td>
                <Td className="hidden text-right tabular-nums md:table-cell">
                  {formatNumber(m.inertia)}
                </Td>
                <Td className="hidden text-right tabular-nums sm:table-cell">
                  {formatInt(m.n_samples)}
                </Td>
                <Td className="hidden lg:table-cell">
                  {m.dataset_id ? `#${m.dataset_id}` : "default"}
                </Td>
                <Td className="hidden whitespace-nowrap lg:table-cell">
                  {formatDateTime(m.trained_at)}
                </Td>
                <Td className="text-right">
                  {m.active ? (
                    <Badge tone="success">
                      <CheckCircle2 className="size-3" aria-hidden="true" /> Active
                    </Badge>
                  ) : isAdmin ? (
                    <Button size="sm" variant="secondary" onClick={() => setTarget(m)}>
                      Activate
                    </Button>
                  ) : (
                    <span className="text-xs muted">Inactive</span>
                  )}
                </Td>
              </tr>
            ))}
          </tbody>
        </Table>
      )}
      <ConfirmDialog
        open={target !== null}
        onClose={() => setTarget(null)}
        onConfirm={() => target && activate.mutate({ path: { version: target.version } })}
        busy={activate.isPending}
        tone="primary"
        confirmLabel="Activate"
        title={`Activate ${target?.version ?? ""}?`}
        description="Every ml-service replica switches to this version at once; new predictions use it."
      />
    </Card>
  );
}

function ElbowCards() {
  const elbow = useQuery(elbowElbowGetOptions());
  const clusters = useQuery(clustersClustersGetOptions());
  if (elbow.isPending || clusters.isPending) {
    return (
      <Card className="xl:col-span-2">
        <Loading />
      </Card>
    );
  }
  if (elbow.isError || clusters.isError) {
    return (
      <Card className="xl:col-span-2">
        <ErrorState
          error={elbow.error ?? clusters.error}
          onRetry={() => {
            void elbow.refetch();
            void clusters.refetch();
          }}
        />
      </Card>
    );
  }
  const { k_range: ks, inertias, silhouette_scores: silhouettes, optimal_k: optimal } = elbow.data;
  const chosen = clusters.data.n_clusters;
  const rows = ks.map((kk, i) => [
    kk,
    formatNumber(inertias[i]),
    (silhouettes[i] ?? 0).toFixed(4),
    kk === chosen ? "chosen" : kk === optimal ? "best silhouette" : "",
  ]);
  const table = (
    <DataTable
      caption="Inertia and silhouette per k"
      columns={["k", "Inertia", "Silhouette", ""]}
      rows={rows}
    />
  );
  return (
    <>
      <Card aria-labelledby="elbow-title">
        <CardHeader
          id="elbow-title"
          title="Elbow"
          description={`Inertia per k for the active model; chosen k = ${chosen}.`}
        />
        <CardBody>
          <ChartFigure
            title="Elbow curve"
            summary={`Inertia falls from ${formatNumber(inertias[0])} at k=${ks[0]} to ${formatNumber(inertias[inertias.length - 1])} at k=${ks[ks.length - 1]}; the model uses k=${chosen}.`}
            table={table}
          >
            <MetricByK ks={ks} values={inertias} chosenK={chosen} label="Inertia" color="#4f46e5" />
          </ChartFigure>
        </CardBody>
      </Card>
      <Card aria-labelledby="silhouette-title">
        <CardHeader
          id="silhouette-title"
          title="Silhouette"
          description={`Higher is better; the best k is ${optimal}.`}
        />
        <CardBody>
          <ChartFigure
            title="Silhouette score per k"
            summary={`The best silhouette is at k=${optimal}; the model uses k=${chosen} (${(silhouettes[ks.indexOf(chosen)] ?? 0).toFixed(3)}).`}
            table={table}
          >
            <MetricByK
              ks={ks}
              values={silhouettes}
              chosenK={chosen}
              label="Silhouette"
              color="#059669"
            />
          </ChartFigure>
        </CardBody>
      </Card>
    </>
  );
}

function ClusterProfilesCard() {
  const clusters = useQuery(clustersClustersGetOptions());
  return (
    <Card className="mt-6" aria-labelledby="profiles-title">
      <CardHeader
        id="profiles-title"
        title="Cluster profiles"
        description={
          clusters.data
            ? `Active model ${clusters.data.model_version}: ${formatInt(clusters.data.total_customers)} customers in ${clusters.data.n_clusters} segments.`
            : undefined
        }
      />
      {clusters.isPending ? (
        <Loading />
      ) : clusters.isError ? (
        <ErrorState error={clusters.error} onRetry={() => void clusters.refetch()} />
      ) : (
        <Table caption="Average customer of each segment">
          <thead>
            <tr>
              <Th>Segment</Th>
              <Th className="text-right">Size</Th>
              <Th className="text-right">Share</Th>
              <Th className="text-right">Age</Th>
              <Th className="text-right">Income</Th>
              <Th className="text-right">Spending</Th>
              <Th className="hidden text-right sm:table-cell">Purchases/yr</Th>
              <Th className="hidden md:table-cell">Sex ratio</Th>
            </tr>
          </thead>
          <tbody>
            {clusters.data.clusters.map((c) => (
              <tr key={c.cluster_id}>
                <Td>
                  <SegmentBadge name={c.cluster_name} color={segmentColor(c.cluster_id)} />
                  {c.description && (
                    <p className="mt-0.5 hidden max-w-xs text-xs muted lg:block">{c.description}</p>
                  )}
                </Td>
                <Td className="text-right tabular-nums">{formatInt(c.size)}</Td>
                <Td className="text-right whitespace-nowrap tabular-nums">
                  {c.percentage.toFixed(1)} %
                </Td>
                <Td className="text-right tabular-nums">{c.avg_age.toFixed(0)}</Td>
                <Td className="text-right whitespace-nowrap tabular-nums">
                  {c.avg_income.toFixed(0)} k
                </Td>
                <Td className="text-right tabular-nums">{c.avg_spending_score.toFixed(0)}</Td>
                <Td className="hidden text-right tabular-nums sm:table-cell">
                  {c.avg_purchase_frequency.toFixed(0)}
                </Td>
                <Td className="hidden md:table-cell">
                  {Object.entries(c.sex_ratio)
                    .map(([sex, share]) => `${sex} ${(share * 100).toFixed(0)} %`)
                    .join(" · ")}
                </Td>
              </tr>
            ))}
          </tbody>
        </Table>
      )}
    </Card>
  );
}
