import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { createFileRoute, Link, useNavigate } from "@tanstack/react-router";
import { Activity, BookmarkPlus, Boxes, Gauge, RotateCcw, Users } from "lucide-react";
import { type FormEvent, useEffect, useState } from "react";
import type { Prediction } from "@/client";
import {
  clustersClustersGetOptions,
  elbowElbowGetOptions,
  listHistoryHistoryGetOptions,
  myProfileUsersMeProfileGetOptions,
  predictPredictPostMutation,
  readProfileProfilesProfileIdGetOptions,
} from "@/client/@tanstack/react-query.gen";
import { CustomerFields } from "@/components/CustomerFields";
import { CategoryBars, ChartFigure, DataTable, SegmentScatter } from "@/components/charts";
import { RecentPredictions } from "@/components/HistoryTable";
import { ResultCard } from "@/components/ResultCard";
import { SaveProfileDialog } from "@/components/SaveProfileDialog";
import { StatCard } from "@/components/StatCard";
import { Alert } from "@/components/ui/Alert";
import { Button } from "@/components/ui/Button";
import { Card, CardBody, CardHeader } from "@/components/ui/Card";
import { PageHeader } from "@/components/ui/PageHeader";
import { Loading } from "@/components/ui/Spinner";
import { EmptyState, ErrorState } from "@/components/ui/States";
import { useCustomerDraft } from "@/hooks/useCustomerDraft";
import { useCurrentUser } from "@/hooks/useSession";
import { errorMessage } from "@/lib/errors";
import { formatInt, formatNumber } from "@/lib/format";
import { invalidate } from "@/lib/queries";
import { optionalInt } from "@/lib/search";

export const Route = createFileRoute("/_app/dashboard")({
  validateSearch: (search: Record<string, unknown>): { profile?: number } => ({
    profile: optionalInt(search.profile, 1),
  }),
  component: Dashboard,
});

function Dashboard() {
  const user = useCurrentUser();
  const { profile: profileId } = Route.useSearch();
  const navigate = useNavigate({ from: Route.fullPath });
  const queryClient = useQueryClient();
  const form = useCustomerDraft();
  const [result, setResult] = useState<Prediction | null>(null);
  const [saving, setSaving] = useState(false);

  const me = useQuery(myProfileUsersMeProfileGetOptions());
  const clusters = useQuery(clustersClustersGetOptions());
  const elbow = useQuery(elbowElbowGetOptions());
  const recent = useQuery(listHistoryHistoryGetOptions({ query: { limit: 10 } }));
  const points = useQuery(listHistoryHistoryGetOptions({ query: { limit: 100 } }));
  const loadedProfile = useQuery({
    ...readProfileProfilesProfileIdGetOptions({ path: { profile_id: profileId ?? 0 } }),
    enabled: profileId !== undefined,
  });

  const { load } = form;
  useEffect(() => {
    if (loadedProfile.data) {
      load(loadedProfile.data);
      setResult(null);
    }
  }, [loadedProfile.data, load]);

  const predict = useMutation({
    ...predictPredictPostMutation(),
    onSuccess: (prediction) => {
      setResult(prediction);
      void invalidate(queryClient, "listHistoryHistoryGet", "myProfileUsersMeProfileGet");
    },
  });

  const submit = (event: FormEvent) => {
    event.preventDefault();
    form.touchAll();
    if (form.value) predict.mutate({ body: form.value });
  };

  const silhouette = (() => {
    if (!elbow.data || !clusters.data) return undefined;
    const index = elbow.data.k_range.indexOf(clusters.data.n_clusters);
    return index >= 0 ? elbow.data.silhouette_scores[index] : undefined;
  })();

  const segments = clusters.data?.clusters ?? [];
  const scatterPoints = (points.data?.history ?? [])
    .filter((h) => h.cluster !== null && h.model_version === clusters.data?.model_version)
    .map((h) => {
      const data = h.customer_data as Record<string, number>;
      return {
        x: Number(data.annual_income),
        y: Number(data.spending_score),
        cluster: h.cluster ?? 0,
        name: h.cluster_name ?? "",
      };
    })
    .filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y));
  const centroids = segments.map((c) => ({
    x: c.avg_income,
    y: c.avg_spending_score,
    cluster: c.cluster_id,
    name: c.cluster_name,
  }));

  return (
    <>
      <PageHeader
        title={`Welcome, ${user.full_name || user.username}`}
        description="Predict a customer's segment and see how your segments look under the active model."
      />
      <div className="grid grid-cols-2 gap-3 sm:gap-4 xl:grid-cols-4">
        <StatCard
          icon={Activity}
          label="My predictions"
          value={formatInt(me.data?.total_predictions)}
          loading={me.isPending}
          testId="kpi-predictions"
          detail={
            me.data?.total_predictions === null
              ? "Counts unavailable right now"
              : "Single and batch"
          }
        />
        <StatCard
          icon={Users}
          label="Saved profiles"
          value={formatInt(me.data?.total_saved_profiles)}
          loading={me.isPending}
          testId="kpi-profiles"
        />
        <StatCard
          icon={Boxes}
          label="Active model"
          value={clusters.data?.model_version ?? "–"}
          loading={clusters.isPending}
          detail={
            clusters.data
              ? `${clusters.data.n_clusters} segments · ${formatInt(clusters.data.total_customers)} customers`
              : clusters.isError
                ? "No model available"
                : undefined
          }
          testId="kpi-model"
        />
        <StatCard
          icon={Gauge}
          label="Silhouette"
          value={formatNumber(silhouette)}
          loading={elbow.isPending || clusters.isPending}
          detail={
            clusters.data ? `k = ${clusters.data.n_clusters}; 1 is best, 0 overlapping` : undefined
          }
        />
      </div>

      <div className="mt-6 grid grid-cols-1 gap-6 xl:grid-cols-5">
        <Card className="self-start xl:col-span-2" aria-labelledby="predict-title">
          <CardHeader
            id="predict-title"
            title="Predict a segment"
            description="The five inputs, with the ranges the API accepts."
          />
          <CardBody>
            {loadedProfile.data && (
              <Alert tone="info" className="mb-4">
                Loaded profile <strong>{loadedProfile.data.name}</strong>.
              </Alert>
            )}
            {loadedProfile.isError && (
              <Alert tone="error" className="mb-4">
                {errorMessage(loadedProfile.error)}
              </Alert>
            )}
            <form onSubmit={submit} noValidate aria-label="Predict a segment">
              <CustomerFields
                idPrefix="predict"
                draft={form.draft}
                errors={form.errors}
                onChange={form.change}
                onBlur={form.blur}
              />
              {predict.isError && (
                <Alert tone="error" className="mt-4">
                  {errorMessage(predict.error)}
                </Alert>
              )}
              <div className="mt-5 flex flex-wrap gap-2">
                <Button type="submit" className="flex-1 sm:flex-none" loading={predict.isPending}>
                  Predict segment
                </Button>
                <Button
                  variant="ghost"
                  icon={<RotateCcw className="size-3.5" aria-hidden="true" />}
                  onClick={() => {
                    form.reset();
                    setResult(null);
                    predict.reset();
                    if (profileId) void navigate({ search: {} });
                  }}
                >
                  Clear
                </Button>
              </div>
            </form>
            {result && (
              <div className="mt-5">
                <ResultCard
                  prediction={result}
                  clusters={segments}
                  actions={
                    <Button
                      variant="secondary"
                      size="sm"
                      icon={<BookmarkPlus className="size-4" aria-hidden="true" />}
                      onClick={() => setSaving(true)}
                    >
                      Save as profile
                    </Button>
                  }
                />
                <SaveProfileDialog
                  customer={result.customer_data}
                  open={saving}
                  onClose={() => setSaving(false)}
                />
              </div>
            )}
          </CardBody>
        </Card>

        <div className="grid min-w-0 content-start gap-6 xl:col-span-3">
          <Card aria-labelledby="distribution-title">
            <CardHeader
              id="distribution-title"
              title="Cluster distribution"
              description="Customers of the training data per segment."
            />
            <CardBody>
              {clusters.isPending ? (
                <Loading />
              ) : clusters.isError ? (
                <ErrorState error={clusters.error} onRetry={() => void clusters.refetch()} />
              ) : (
                <ChartFigure
                  title="Cluster distribution"
                  summary={segments
                    .map((c) => `${c.cluster_name}: ${c.size} customers (${c.percentage} %)`)
                    .join("; ")}
                  height={Math.max(180, segments.length * 40)}
                  table={
                    <DataTable
                      caption="Customers per segment"
                      columns={[
                        "Segment",
                        "Customers",
                        "Share",
                        "Avg income (k/yr)",
                        "Avg spending",
                      ]}
                      rows={segments.map((c) => [
                        c.cluster_name,
                        c.size,
                        `${c.percentage} %`,
                        c.avg_income.toFixed(1),
                        c.avg_spending_score.toFixed(1),
                      ])}
                    />
                  }
                >
                  <CategoryBars
                    data={segments.map((c) => ({
                      name: c.cluster_name,
                      value: c.size,
                      cluster: c.cluster_id,
                    }))}
                  />
                </ChartFigure>
              )}
            </CardBody>
          </Card>
          <Card aria-labelledby="scatter-title">
            <CardHeader
              id="scatter-title"
              title="Income × spending"
              description="Your last predictions under the active model, with each segment's centroid (diamonds)."
            />
            <CardBody>
              {clusters.isPending || points.isPending ? (
                <Loading />
              ) : clusters.isError ? (
                <ErrorState error={clusters.error} />
              ) : (
                <>
                  {scatterPoints.length === 0 && (
                    <p className="mb-2 text-sm muted">
                      No predictions under this model yet: the chart shows the centroids only.
                    </p>
                  )}
                  <ChartFigure
                    title="Income and spending of predicted customers by segment"
                    summary={`${scatterPoints.length} predicted customers and ${centroids.length} segment centroids. ${centroids.map((c) => `${c.name} centre at income ${c.x.toFixed(0)}, spending ${c.y.toFixed(0)}`).join("; ")}`}
                    height={300}
                    table={
                      <DataTable
                        caption="Segment centroids"
                        columns={["Segment", "Income (k/yr)", "Spending score"]}
                        rows={centroids.map((c) => [c.name, c.x.toFixed(1), c.y.toFixed(1)])}
                      />
                    }
                  >
                    <SegmentScatter
                      points={scatterPoints}
                      centroids={centroids}
                      xLabel="Annual income (k/yr)"
                      yLabel="Spending score"
                    />
                  </ChartFigure>
                </>
              )}
            </CardBody>
          </Card>
        </div>
      </div>

      <Card className="mt-6" aria-labelledby="recent-title">
        <CardHeader
          id="recent-title"
          title="My last 10 predictions"
          actions={
            <Link to="/history" className="text-sm link">
              Open history
            </Link>
          }
        />
        {recent.isPending ? (
          <Loading />
        ) : recent.isError ? (
          <ErrorState error={recent.error} onRetry={() => void recent.refetch()} />
        ) : recent.data.history.length === 0 ? (
          <EmptyState title="No predictions yet">
            Predict a customer above and it shows here.
          </EmptyState>
        ) : (
          <RecentPredictions entries={recent.data.history} />
        )}
      </Card>
    </>
  );
}
