/**
 * The Models page's analytics: model comparison, a model's explanation (centroids,
 * distinctive features, importance, projection) and drift.
 */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { GitCompare, Rocket } from "lucide-react";
import { type FormEvent, useEffect, useState } from "react";
import type { Candidate, CompareResult, DriftAnswer } from "@/client";
import {
  compareModelsModelsComparePostMutation,
  modelDetailModelsVersionGetOptions,
  modelDriftModelsVersionDriftGetOptions,
  modelProjectionModelsVersionProjectionGetOptions,
  startTrainingJobTrainJobsPostMutation,
} from "@/client/@tanstack/react-query.gen";
import {
  ChartFigure,
  DataTable,
  SegmentScatter,
  ShareBars,
  SilhouetteByAlgorithm,
} from "@/components/charts";
import {
  ALGORITHM_LABELS,
  ALGORITHMS,
  type Algorithm,
  AlgorithmsChoice,
  DatasetSelect,
  datasetParam,
  FEATURE_LABELS,
  FEATURES,
  type Feature,
  FeatureChoice,
  KRangeFields,
  useJob,
  useKRange,
} from "@/components/models/TrainingFields";
import { Alert } from "@/components/ui/Alert";
import { Badge, SegmentBadge } from "@/components/ui/Badge";
import { Button } from "@/components/ui/Button";
import { Card, CardBody, CardHeader } from "@/components/ui/Card";
import { Progress } from "@/components/ui/Progress";
import { Loading } from "@/components/ui/Spinner";
import { ErrorState } from "@/components/ui/States";
import { Table, Td, Th } from "@/components/ui/Table";
import { toast } from "@/components/ui/Toast";
import { errorMessage } from "@/lib/errors";
import { formatInt } from "@/lib/format";
import { invalidate } from "@/lib/queries";
import { segmentColor } from "@/lib/segments";

const isComparison = (result: unknown): result is CompareResult =>
  typeof result === "object" && result !== null && "candidates" in result;

/** Compare algorithms × k on a dataset, then train the recommended candidate. */
export function CompareCard() {
  const queryClient = useQueryClient();
  const [datasetId, setDatasetId] = useState("");
  const [features, setFeatures] = useState<Feature[]>([...FEATURES]);
  const [algorithms, setAlgorithms] = useState<Algorithm[]>([...ALGORITHMS]);
  const range = useKRange("2", "8");
  const [jobId, setJobId] = useState<string | null>(null);
  const [trainJobId, setTrainJobId] = useState<string | null>(null);
  const start = useMutation({
    ...compareModelsModelsComparePostMutation(),
    onSuccess: (accepted) => setJobId(accepted.job_id),
  });
  const train = useMutation({
    ...startTrainingJobTrainJobsPostMutation(),
    onSuccess: (accepted) => setTrainJobId(accepted.job_id),
    onError: (error) => toast.error(error),
  });
  const job = useJob(jobId);
  const trainJob = useJob(trainJobId);
  const trainStatus = trainJob.data?.status;
  useEffect(() => {
    if (trainStatus === "succeeded") {
      toast.success("The recommended model is trained and live");
      void invalidate(queryClient, "listModelsModelsGet", "clustersClustersGet", "elbowElbowGet");
    }
  }, [trainStatus, queryClient]);

  const invalid = range.invalid || features.length < 2 || algorithms.length === 0;
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (invalid) return;
    setJobId(null);
    setTrainJobId(null);
    start.mutate({
      body: { dataset_id: datasetParam(datasetId), features, algorithms, ...range.bounds },
    });
  };
  const status = job.data?.status;
  const running = start.isPending || status === "queued" || status === "running";
  const result = isComparison(job.data?.result) ? job.data.result : null;
  const trainRecommended = () => {
    if (!result) return;
    train.mutate({
      body: {
        dataset_id: datasetParam(datasetId),
        features,
        algorithm: result.recommended.algorithm,
        n_clusters: result.recommended.k,
        k_min: Math.min(range.bounds.k_min, result.recommended.k),
        k_max: Math.max(range.bounds.k_max, result.recommended.k),
      },
    });
  };

  return (
    <Card className="mt-6" aria-labelledby="compare-title">
      <CardHeader
        id="compare-title"
        title="Compare models"
        description="Scores each algorithm and k on a sample (silhouette, Davies–Bouldin, Calinski–Harabasz, stability over 3 bootstrap re-fits). Nothing is published."
      />
      <CardBody className="space-y-4">
        <form onSubmit={submit} className="space-y-4" noValidate aria-label="Compare models">
          <div className="grid gap-4 lg:grid-cols-2">
            <DatasetSelect
              label="Dataset to compare on"
              value={datasetId}
              onChange={setDatasetId}
            />
            <KRangeFields
              range={range}
              minLabel="Compare from k"
              maxLabel="Compare up to k"
              className="grid grid-cols-2 gap-4"
            />
          </div>
          <div className="grid gap-4 lg:grid-cols-2">
            <FeatureChoice
              value={features}
              onChange={setFeatures}
              legend="Features to compare on"
            />
            <AlgorithmsChoice value={algorithms} onChange={setAlgorithms} />
          </div>
          {start.isError && <Alert tone="error">{errorMessage(start.error)}</Alert>}
          <Button
            type="submit"
            icon={<GitCompare className="size-4" aria-hidden="true" />}
            loading={running}
            disabled={invalid}
          >
            Compare
          </Button>
        </form>
        {jobId && !result && (
          <div aria-live="polite">
            <Progress
              value={job.data?.progress ?? 0}
              label="Comparison progress"
              tone={status === "failed" ? "danger" : "brand"}
            />
            <p className="mt-2 text-xs muted" data-testid="compare-stage">
              Stage: {job.data?.stage ?? "waiting"}
            </p>
            {status === "failed" && (
              <Alert tone="error" className="mt-3">
                {job.data?.error ?? "Comparison failed"}
              </Alert>
            )}
          </div>
        )}
        {result && (
          <ComparisonResult
            result={result}
            onTrain={trainRecommended}
            training={train.isPending || trainStatus === "queued" || trainStatus === "running"}
            trained={trainStatus === "succeeded" ? trainJob.data?.result : undefined}
          />
        )}
      </CardBody>
    </Card>
  );
}

function ComparisonResult({
  result,
  onTrain,
  training,
  trained,
}: {
  result: CompareResult;
  onTrain: () => void;
  training: boolean;
  trained: unknown;
}) {
  const { recommended } = result;
  const isRecommended = (c: Candidate) =>
    c.algorithm === recommended.algorithm && c.k === recommended.k;
  const best = result.candidates.find(isRecommended);
  const version =
    typeof trained === "object" && trained !== null && "model_version" in trained
      ? String(trained.model_version)
      : null;
  return (
    <div className="space-y-4" data-testid="comparison">
      <Alert
        tone="success"
        title={`Recommended: ${ALGORITHM_LABELS[recommended.algorithm]}, k = ${recommended.k}`}
      >
        <p>
          Silhouette {best?.silhouette.toFixed(3)}, stability {best?.stability.toFixed(2)} on{" "}
          {formatInt(result.n_samples)} rows.
        </p>
        <div className="mt-2">
          <Button
            size="sm"
            icon={<Rocket className="size-4" aria-hidden="true" />}
            onClick={onTrain}
            loading={training}
          >
            Train recommended
          </Button>
          {version && (
            <span className="ml-3 text-sm" data-testid="trained-recommended">
              Version {version} is live
            </span>
          )}
        </div>
      </Alert>
      <ChartFigure
        title="Silhouette per k and algorithm"
        summary={`The recommendation is ${recommended.algorithm} with k=${recommended.k}.`}
        table={<CandidatesTable candidates={result.candidates} isRecommended={isRecommended} />}
      >
        <SilhouetteByAlgorithm candidates={result.candidates} />
      </ChartFigure>
      <div className="overflow-x-auto rounded-lg border border-slate-200 dark:border-slate-800">
        <CandidatesTable candidates={result.candidates} isRecommended={isRecommended} />
      </div>
    </div>
  );
}

function CandidatesTable({
  candidates,
  isRecommended,
}: {
  candidates: Candidate[];
  isRecommended: (c: Candidate) => boolean;
}) {
  return (
    <Table caption="Comparison of candidate models">
      <thead>
        <tr>
          <Th>Algorithm</Th>
          <Th className="text-right">k</Th>
          <Th className="text-right">Silhouette</Th>
          <Th className="text-right">Davies–Bouldin</Th>
          <Th className="hidden text-right sm:table-cell">Calinski–Harabasz</Th>
          <Th className="text-right">Stability</Th>
          <Th className="hidden md:table-cell">Sizes</Th>
        </tr>
      </thead>
      <tbody>
        {candidates.map((c) => (
          <tr key={`${c.algorithm}-${c.k}`} data-testid="candidate-row">
            <Td className="whitespace-nowrap">
              {ALGORITHM_LABELS[c.algorithm]}{" "}
              {isRecommended(c) && <Badge tone="success">recommended</Badge>}
            </Td>
            <Td className="text-right tabular-nums">{c.k}</Td>
            <Td className="text-right tabular-nums">{c.silhouette.toFixed(3)}</Td>
            <Td className="text-right tabular-nums">{c.davies_bouldin?.toFixed(3) ?? "–"}</Td>
            <Td className="hidden text-right tabular-nums sm:table-cell">
              {c.calinski_harabasz?.toFixed(0) ?? "–"}
            </Td>
            <Td className="text-right tabular-nums">{c.stability.toFixed(2)}</Td>
            <Td className="hidden text-xs md:table-cell">{c.sizes.join(" / ")}</Td>
          </tr>
        ))}
      </tbody>
    </Table>
  );
}

const DRIFT_TONES = {
  ok: "success",
  warning: "warning",
  drift: "danger",
  insufficient_data: "neutral",
} as const;
const DRIFT_LABELS = {
  ok: "no drift",
  warning: "drift warning",
  drift: "drifting",
  insufficient_data: "too few predictions",
} as const;

/** The drift status of a version over the last 7 days, as a badge. */
export function DriftBadge({ version }: { version: string }) {
  const drift = useQuery({
    ...modelDriftModelsVersionDriftGetOptions({ path: { version }, query: { days: 7 } }),
    retry: false,
    staleTime: 60_000,
  });
  if (drift.isPending) return <span className="text-xs muted">…</span>;
  if (drift.isError) return <span className="text-xs muted">no drift data</span>;
  return (
    <Badge tone={DRIFT_TONES[drift.data.status]}>
      <span title={driftTitle(drift.data)} data-testid="drift-badge">
        {DRIFT_LABELS[drift.data.status]}
      </span>
    </Badge>
  );
}

function driftTitle(drift: DriftAnswer): string {
  const features = Object.entries(drift.features)
    .map(([name, f]) => `${FEATURE_LABELS[name] ?? name}: PSI ${f.psi.toFixed(3)}`)
    .join(", ");
  return `${formatInt(drift.n_predictions)} predictions in ${drift.window_days} days. ${features}`;
}

/** A version's clusters (centroids, distinctive features), feature importance and projection. */
export function ExplanationCard({ version }: { version: string }) {
  const detail = useQuery(modelDetailModelsVersionGetOptions({ path: { version } }));
  const projection = useQuery({
    ...modelProjectionModelsVersionProjectionGetOptions({
      path: { version },
      query: { limit: 1500 },
    }),
    retry: false,
  });
  if (detail.isPending) {
    return (
      <Card className="mt-6">
        <Loading />
      </Card>
    );
  }
  if (detail.isError) {
    return (
      <Card className="mt-6">
        <ErrorState error={detail.error} onRetry={() => void detail.refetch()} />
      </Card>
    );
  }
  const model = detail.data;
  const importance = Object.entries(model.feature_importance)
    .sort((a, b) => b[1] - a[1])
    .map(([name, value]) => ({ name: FEATURE_LABELS[name] ?? name, value }));
  const names = new Map(model.clusters.map((c) => [c.cluster_id, c.cluster_name]));
  return (
    <Card className="mt-6" aria-labelledby="explain-title">
      <CardHeader
        id="explain-title"
        title={`Explanation of ${model.version}`}
        description={`${ALGORITHM_LABELS[model.algorithm]} on ${model.features.map((f) => FEATURE_LABELS[f]).join(", ")}; ${model.n_clusters} segments.`}
      />
      <CardBody className="space-y-6">
        <div className="overflow-x-auto rounded-lg border border-slate-200 dark:border-slate-800">
          <Table caption="Centroid and distinctive features of each segment">
            <thead>
              <tr>
                <Th>Segment</Th>
                <Th className="text-right">Share</Th>
                {model.features.map((f) => (
                  <Th key={f} className="text-right">
                    {FEATURE_LABELS[f]}
                  </Th>
                ))}
                <Th>Distinctive (z-score)</Th>
              </tr>
            </thead>
            <tbody>
              {model.clusters.map((c) => (
                <tr key={c.cluster_id} data-testid="explained-cluster">
                  <Td>
                    <SegmentBadge name={c.cluster_name} color={segmentColor(c.cluster_id)} />
                  </Td>
                  <Td className="text-right tabular-nums">{c.percentage.toFixed(1)} %</Td>
                  {model.features.map((f) => (
                    <Td key={f} className="text-right tabular-nums">
                      {(c.centroid[f] ?? 0).toFixed(1)}
                    </Td>
                  ))}
                  <Td>
                    <div className="flex flex-wrap gap-1">
                      {c.distinctive.length === 0 ? (
                        <span className="text-xs muted">close to average</span>
                      ) : (
                        c.distinctive.map((d) => (
                          <Badge key={d.feature} tone={d.z_score > 0 ? "brand" : "warning"}>
                            {FEATURE_LABELS[d.feature]} {d.z_score > 0 ? "+" : ""}
                            {d.z_score.toFixed(1)}
                          </Badge>
                        ))
                      )}
                    </div>
                  </Td>
                </tr>
              ))}
            </tbody>
          </Table>
        </div>
        <div className="grid grid-cols-1 gap-6 xl:grid-cols-2">
          <section aria-labelledby="importance-title">
            <h3 id="importance-title" className="mb-2 text-sm font-semibold">
              Feature importance
            </h3>
            <p className="mb-2 text-xs muted">
              Share of each feature's variance explained by the segments, normalised to 100 %.
            </p>
            <ChartFigure
              title="Feature importance"
              summary={importance
                .map((i) => `${i.name} ${(i.value * 100).toFixed(0)} %`)
                .join(", ")}
              table={
                <DataTable
                  caption="Feature importance"
                  columns={["Feature", "Importance"]}
                  rows={importance.map((i) => [i.name, `${(i.value * 100).toFixed(1)} %`])}
                />
              }
              height={200}
            >
              <ShareBars data={importance} />
            </ChartFigure>
          </section>
          <section aria-labelledby="projection-title">
            <h3 id="projection-title" className="mb-2 text-sm font-semibold">
              Projection (PCA of the training sample)
            </h3>
            {projection.isPending ? (
              <Loading />
            ) : projection.isError ? (
              <p className="text-sm muted">{errorMessage(projection.error)}</p>
            ) : (
              <>
                <p className="mb-2 text-xs muted">
                  The two principal components explain{" "}
                  {(projection.data.explained_variance.reduce((a, b) => a + b, 0) * 100).toFixed(0)}{" "}
                  % of the variance.
                </p>
                <ChartFigure
                  title="Customers projected on two principal components"
                  summary={`${projection.data.points.length} training customers and ${projection.data.centroids.length} centroids.`}
                  table={
                    <DataTable
                      caption="Projected centroids"
                      columns={["Segment", "PC1", "PC2"]}
                      rows={projection.data.centroids.map((c) => [
                        names.get(c.cluster) ?? String(c.cluster),
                        c.x.toFixed(2),
                        c.y.toFixed(2),
                      ])}
                    />
                  }
                  height={300}
                >
                  <SegmentScatter
                    points={projection.data.points.map((p) => ({
                      ...p,
                      name: names.get(p.cluster) ?? "",
                    }))}
                    centroids={projection.data.centroids.map((p) => ({
                      ...p,
                      name: names.get(p.cluster) ?? "",
                    }))}
                    xLabel="PC1"
                    yLabel="PC2"
                    freeScale
                  />
                </ChartFigure>
              </>
            )}
          </section>
        </div>
      </CardBody>
    </Card>
  );
}
