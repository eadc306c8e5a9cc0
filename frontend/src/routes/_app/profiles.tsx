import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { createFileRoute, useNavigate } from "@tanstack/react-router";
import { FormInput, Pencil, Plus, Search, Trash2, Zap } from "lucide-react";
import { useEffect, useState } from "react";
import { listProfilesProfilesGet, type Prediction, type ProfilePublic } from "@/client";
import {
  clustersClustersGetOptions,
  deleteProfileProfilesProfileIdDeleteMutation,
  predictProfileProfilesProfileIdPredictPostMutation,
} from "@/client/@tanstack/react-query.gen";
import { ProfileDialog } from "@/components/ProfileDialog";
import { ResultCard } from "@/components/ResultCard";
import { Button } from "@/components/ui/Button";
import { Card } from "@/components/ui/Card";
import { ConfirmDialog, Dialog } from "@/components/ui/Dialog";
import { TextField } from "@/components/ui/Field";
import { PageHeader } from "@/components/ui/PageHeader";
import { Pagination } from "@/components/ui/Pagination";
import { Loading } from "@/components/ui/Spinner";
import { EmptyState, ErrorState } from "@/components/ui/States";
import { Table, Td, Th } from "@/components/ui/Table";
import { toast } from "@/components/ui/Toast";
import { formatDateTime } from "@/lib/format";
import { invalidate } from "@/lib/queries";
import { optionalInt, optionalString } from "@/lib/search";

const PAGE_SIZE = 20;

export const Route = createFileRoute("/_app/profiles")({
  validateSearch: (search: Record<string, unknown>): { q?: string; skip?: number } => ({
    q: optionalString(search.q),
    skip: optionalInt(search.skip, 0),
  }),
  component: ProfilesPage,
});

function ProfilesPage() {
  const { q, skip = 0 } = Route.useSearch();
  const navigate = useNavigate({ from: Route.fullPath });
  const queryClient = useQueryClient();
  const [text, setText] = useState(q ?? "");
  const [editing, setEditing] = useState<ProfilePublic | null>(null);
  const [creating, setCreating] = useState(false);
  const [deleting, setDeleting] = useState<ProfilePublic | null>(null);
  const [result, setResult] = useState<{ profile: ProfilePublic; prediction: Prediction } | null>(
    null,
  );
  const clusters = useQuery(clustersClustersGetOptions());

  // Search as the user types, without a request per keystroke.
  useEffect(() => {
    const timer = setTimeout(() => {
      if ((q ?? "") !== text.trim()) {
        void navigate({ search: { q: text.trim() || undefined }, replace: true });
      }
    }, 300);
    return () => clearTimeout(timer);
  }, [text, q, navigate]);

  const profiles = useQuery({
    queryKey: ["profiles", q ?? "", skip],
    queryFn: async ({ signal }) => {
      const { data, response } = await listProfilesProfilesGet({
        query: { q: q || undefined, skip, limit: PAGE_SIZE },
        signal,
        throwOnError: true,
      });
      return { items: data, total: Number(response.headers.get("X-Total-Count") ?? data.length) };
    },
    placeholderData: keepPreviousData,
  });

  const predict = useMutation({
    ...predictProfileProfilesProfileIdPredictPostMutation(),
    onError: (error) => toast.error(error),
  });
  const remove = useMutation({
    ...deleteProfileProfilesProfileIdDeleteMutation(),
    onSuccess: () => {
      toast.success(`Deleted profile “${deleting?.name}”`);
      setDeleting(null);
      void invalidate(queryClient, "profiles", "myProfileUsersMeProfileGet");
    },
    onError: (error) => toast.error(error),
  });

  const quickPredict = (profile: ProfilePublic) =>
    predict.mutate(
      { path: { profile_id: profile.id } },
      {
        onSuccess: (prediction) => {
          setResult({ profile, prediction: prediction as Prediction });
          void invalidate(queryClient, "listHistoryHistoryGet", "myProfileUsersMeProfileGet");
        },
      },
    );

  const items = profiles.data?.items ?? [];
  return (
    <>
      <PageHeader
        title="Customer profiles"
        description="Customers you saved, with notes. Predict one in a click or load it into the predict form."
        actions={
          <Button
            icon={<Plus className="size-4" aria-hidden="true" />}
            onClick={() => setCreating(true)}
          >
            New profile
          </Button>
        }
      />
      <Card aria-labelledby="profiles-title">
        <h2 id="profiles-title" className="sr-only">
          Profiles
        </h2>
        <div className="border-b border-slate-200 p-4 dark:border-slate-800">
          <div className="relative max-w-sm">
            <Search
              className="pointer-events-none absolute top-9 left-3 size-4 text-slate-400"
              aria-hidden="true"
            />
            <TextField
              label="Search profiles"
              type="search"
              placeholder="Name or notes"
              value={text}
              onChange={(e) => setText(e.target.value)}
              className="[&_input]:pl-9"
            />
          </div>
        </div>
        {profiles.isPending ? (
          <Loading />
        ) : profiles.isError ? (
          <ErrorState error={profiles.error} onRetry={() => void profiles.refetch()} />
        ) : items.length === 0 ? (
          <EmptyState
            title={q ? `No profile matches “${q}”` : "No profiles yet"}
            action={
              !q && <Button onClick={() => setCreating(true)}>Create your first profile</Button>
            }
          >
            {q ? "Try another search." : "Save customers you predict often, with notes."}
          </EmptyState>
        ) : (
          <>
            <Table caption="Your customer profiles">
              <thead>
                <tr>
                  <Th>Name</Th>
                  <Th className="hidden sm:table-cell">Customer</Th>
                  <Th className="hidden xl:table-cell">Notes</Th>
                  <Th className="hidden md:table-cell">Updated</Th>
                  <Th className="text-right">Actions</Th>
                </tr>
              </thead>
              <tbody>
                {items.map((profile) => (
                  <tr key={profile.id} data-testid="profile-row">
                    <Td className="font-medium">
                      <span className="block max-w-48 truncate">{profile.name}</span>
                    </Td>
                    <Td className="hidden text-slate-600 sm:table-cell dark:text-slate-400">
                      {profile.sex}, {profile.age} yrs · {profile.annual_income} k/yr · score{" "}
                      {profile.spending_score} · {profile.purchase_frequency}/yr
                    </Td>
                    <Td className="hidden max-w-xs xl:table-cell">
                      <span className="line-clamp-2 text-slate-600 dark:text-slate-400">
                        {profile.notes || "–"}
                      </span>
                    </Td>
                    <Td className="hidden whitespace-nowrap md:table-cell">
                      {formatDateTime(profile.updated_at)}
                    </Td>
                    <Td>
                      <div className="flex justify-end gap-1">
                        <Button
                          size="sm"
                          variant="secondary"
                          icon={<Zap className="size-3.5" aria-hidden="true" />}
                          loading={
                            predict.isPending && predict.variables?.path.profile_id === profile.id
                          }
                          onClick={() => quickPredict(profile)}
                          aria-label={`Predict ${profile.name}`}
                        >
                          <span className="hidden sm:inline">Predict</span>
                        </Button>
                        <Button
                          size="sm"
                          variant="ghost"
                          icon={<FormInput className="size-3.5" aria-hidden="true" />}
                          onClick={() =>
                            void navigate({ to: "/dashboard", search: { profile: profile.id } })
                          }
                          aria-label={`Load ${profile.name} into the predict form`}
                          title="Load into the predict form"
                        />
                        <Button
                          size="sm"
                          variant="ghost"
                          icon={<Pencil className="size-3.5" aria-hidden="true" />}
                          onClick={() => setEditing(profile)}
                          aria-label={`Edit ${profile.name}`}
                          title="Edit"
                        />
                        <Button
                          size="sm"
                          variant="ghost"
                          className="hover:!text-red-700 dark:hover:!text-red-300"
                          icon={<Trash2 className="size-3.5" aria-hidden="true" />}
                          onClick={() => setDeleting(profile)}
                          aria-label={`Delete ${profile.name}`}
                          title="Delete"
                        />
                      </div>
                    </Td>
                  </tr>
                ))}
              </tbody>
            </Table>
            <Pagination
              skip={skip}
              limit={PAGE_SIZE}
              total={profiles.data.total}
              label="Profile pages"
              onChange={(next) =>
                void navigate({ search: (p) => ({ ...p, skip: next || undefined }) })
              }
            />
          </>
        )}
      </Card>
      <ProfileDialog
        open={creating || editing !== null}
        profile={editing}
        onClose={() => {
          setCreating(false);
          setEditing(null);
        }}
      />
      <ConfirmDialog
        open={deleting !== null}
        onClose={() => setDeleting(null)}
        onConfirm={() => deleting && remove.mutate({ path: { profile_id: deleting.id } })}
        busy={remove.isPending}
        title={`Delete “${deleting?.name ?? ""}”?`}
        description="The profile and its notes are removed. Predictions already made stay in your history."
      />
      <Dialog
        open={result !== null}
        onClose={() => setResult(null)}
        title={`Prediction for “${result?.profile.name ?? ""}”`}
        size="lg"
      >
        {result && <ResultCard prediction={result.prediction} clusters={clusters.data?.clusters} />}
      </Dialog>
    </>
  );
}
