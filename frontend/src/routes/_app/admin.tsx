import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { createFileRoute, Link, redirect, useNavigate } from "@tanstack/react-router";
import { Activity, Search, Trash2, UserCheck, Users, UserX } from "lucide-react";
import { useEffect, useState } from "react";
import type { UserWithTotals } from "@/client";
import {
  auditLogAdminAuditGetOptions,
  changeRoleAdminUsersUserIdRolePutMutation,
  deleteUserAdminUsersUserIdDeleteMutation,
  listUsersAdminUsersGetOptions,
  statsAdminStatsGetOptions,
  toggleActiveAdminUsersUserIdToggleActivePutMutation,
} from "@/client/@tanstack/react-query.gen";
import { CategoryBars, ChartFigure, DataTable, TimeBars } from "@/components/charts";
import { RequireRole } from "@/components/RequireRole";
import { StatCard } from "@/components/StatCard";
import { Badge } from "@/components/ui/Badge";
import { Button } from "@/components/ui/Button";
import { Card, CardBody, CardHeader } from "@/components/ui/Card";
import { ConfirmDialog } from "@/components/ui/Dialog";
import { SelectField, TextField } from "@/components/ui/Field";
import { PageHeader } from "@/components/ui/PageHeader";
import { Pagination } from "@/components/ui/Pagination";
import { Loading } from "@/components/ui/Spinner";
import { EmptyState, ErrorState } from "@/components/ui/States";
import { Table, Td, Th } from "@/components/ui/Table";
import { toast } from "@/components/ui/Toast";
import { useCurrentUser } from "@/hooks/useSession";
import { cn } from "@/lib/cn";
import { formatDateTime, formatDay, formatInt } from "@/lib/format";
import { invalidate } from "@/lib/queries";
import { hasRole, type Role } from "@/lib/roles";
import { optionalInt, optionalString } from "@/lib/search";
import { session } from "@/lib/session";

type Tab = "users" | "stats" | "audit";
interface AdminSearch {
  tab?: Tab;
  q?: string;
  role?: Role;
  active?: "true" | "false";
  skip?: number;
  days?: number;
  bucket?: "day" | "week" | "month";
}

const PAGE_SIZE = 20;
const ROLES: Role[] = ["user", "analyst", "admin"];

export const Route = createFileRoute("/_app/admin")({
  validateSearch: (search: Record<string, unknown>): AdminSearch => ({
    tab: ["users", "stats", "audit"].includes(String(search.tab)) ? (search.tab as Tab) : undefined,
    q: optionalString(search.q),
    role: ROLES.includes(search.role as Role) ? (search.role as Role) : undefined,
    active: search.active === "true" || search.active === "false" ? search.active : undefined,
    skip: optionalInt(search.skip, 0),
    days: optionalInt(search.days, 7, 365),
    bucket: ["day", "week", "month"].includes(String(search.bucket))
      ? (search.bucket as AdminSearch["bucket"])
      : undefined,
  }),
  beforeLoad: () => {
    if (!hasRole(session.getState().user, "admin")) throw redirect({ to: "/dashboard" });
  },
  component: () => (
    <RequireRole needs="admin">
      <AdminPage />
    </RequireRole>
  ),
});

const TABS: { id: Tab; label: string }[] = [
  { id: "users", label: "Users" },
  { id: "stats", label: "Platform statistics" },
  { id: "audit", label: "Audit log" },
];

function AdminPage() {
  const { tab = "users" } = Route.useSearch();
  return (
    <>
      <PageHeader
        title="Administration"
        description="Accounts and roles, how the platform is used, and who did what."
      />
      <nav
        aria-label="Administration sections"
        className="mb-6 border-b border-slate-200 dark:border-slate-800"
      >
        <ul className="-mb-px flex gap-1 overflow-x-auto">
          {TABS.map((t) => (
            <li key={t.id}>
              <Link
                to="/admin"
                search={{ tab: t.id === "users" ? undefined : t.id }}
                aria-current={tab === t.id ? "page" : undefined}
                className={cn(
                  "inline-block border-b-2 px-3 py-2 text-sm font-medium whitespace-nowrap",
                  tab === t.id
                    ? "border-indigo-600 text-indigo-800 dark:border-indigo-400 dark:text-indigo-200"
                    : "border-transparent text-slate-600 hover:text-slate-900 dark:text-slate-400 dark:hover:text-white",
                )}
              >
                {t.label}
              </Link>
            </li>
          ))}
        </ul>
      </nav>
      {tab === "users" && <UsersPanel />}
      {tab === "stats" && <StatsPanel />}
      {tab === "audit" && <AuditPanel />}
    </>
  );
}

function UsersPanel() {
  const me = useCurrentUser();
  const search = Route.useSearch();
  const navigate = useNavigate({ from: Route.fullPath });
  const queryClient = useQueryClient();
  const [text, setText] = useState(search.q ?? "");
  const [deleting, setDeleting] = useState<UserWithTotals | null>(null);
  const skip = search.skip ?? 0;

  useEffect(() => {
    const timer = setTimeout(() => {
      if ((search.q ?? "") !== text.trim()) {
        void navigate({
          search: (p) => ({ ...p, q: text.trim() || undefined, skip: undefined }),
          replace: true,
        });
      }
    }, 300);
    return () => clearTimeout(timer);
  }, [text, search.q, navigate]);

  const users = useQuery({
    ...listUsersAdminUsersGetOptions({
      query: {
        q: search.q,
        role: search.role,
        is_active: search.active === undefined ? undefined : search.active === "true",
        skip,
        limit: PAGE_SIZE,
      },
    }),
    placeholderData: keepPreviousData,
  });
  const refresh = () =>
    invalidate(
      queryClient,
      "listUsersAdminUsersGet",
      "statsAdminStatsGet",
      "auditLogAdminAuditGet",
    );
  const changeRole = useMutation({
    ...changeRoleAdminUsersUserIdRolePutMutation(),
    onSuccess: (u) => {
      toast.success(`${u.username} is now ${u.role}`);
      void refresh();
    },
    onError: (error) => {
      toast.error(error);
      void refresh();
    },
  });
  const toggle = useMutation({
    ...toggleActiveAdminUsersUserIdToggleActivePutMutation(),
    onSuccess: (u) => {
      toast.success(
        `${u.username} is ${u.is_active ? "active again" : "deactivated: signed out everywhere"}`,
      );
      void refresh();
    },
    onError: (error) => toast.error(error),
  });
  const remove = useMutation({
    ...deleteUserAdminUsersUserIdDeleteMutation(),
    onSuccess: () => {
      toast.success(`Deleted ${deleting?.username}`);
      setDeleting(null);
      void refresh();
    },
    onError: (error) => toast.error(error),
  });

  const setFilter = (patch: Partial<AdminSearch>) =>
    void navigate({ search: (p) => ({ ...p, ...patch, skip: undefined }), replace: true });

  return (
    <Card aria-labelledby="users-title">
      <h2 id="users-title" className="sr-only">
        Users
      </h2>
      <div className="grid grid-cols-1 gap-4 border-b border-slate-200 p-4 sm:grid-cols-3 dark:border-slate-800">
        <div className="relative">
          <Search
            className="pointer-events-none absolute top-9 left-3 size-4 text-slate-400"
            aria-hidden="true"
          />
          <TextField
            label="Search users"
            type="search"
            placeholder="Username, email or name"
            value={text}
            onChange={(e) => setText(e.target.value)}
            className="[&_input]:pl-9"
          />
        </div>
        <SelectField
          label="Role"
          value={search.role ?? ""}
          onChange={(e) => setFilter({ role: (e.target.value || undefined) as Role | undefined })}
        >
          <option value="">All roles</option>
          {ROLES.map((r) => (
            <option key={r} value={r}>
              {r}
            </option>
          ))}
        </SelectField>
        <SelectField
          label="Status"
          value={search.active ?? ""}
          onChange={(e) =>
            setFilter({ active: (e.target.value || undefined) as AdminSearch["active"] })
          }
        >
          <option value="">Active and inactive</option>
          <option value="true">Active</option>
          <option value="false">Inactive</option>
        </SelectField>
      </div>
      {users.isPending ? (
        <Loading />
      ) : users.isError ? (
        <ErrorState error={users.error} onRetry={() => void users.refetch()} />
      ) : users.data.users.length === 0 ? (
        <EmptyState title="No user matches">Change the search or the filters.</EmptyState>
      ) : (
        <>
          <Table caption="Users">
            <thead>
              <tr>
                <Th>User</Th>
                <Th>Role</Th>
                <Th>Status</Th>
                <Th className="hidden text-right md:table-cell">Predictions</Th>
                <Th className="hidden text-right md:table-cell">Profiles</Th>
                <Th className="hidden lg:table-cell">Joined</Th>
                <Th className="text-right">Actions</Th>
              </tr>
            </thead>
            <tbody>
              {users.data.users.map((u) => {
                const self = u.id === me.id;
                return (
                  <tr key={u.id} data-testid="user-row" data-username={u.username}>
                    <Td>
                      <p className="max-w-48 truncate font-medium">
                        {u.full_name || u.username} {self && <Badge tone="brand">you</Badge>}
                      </p>
                      <p className="max-w-48 truncate text-xs muted">
                        {u.username} · {u.email}
                      </p>
                    </Td>
                    <Td>
                      <label className="sr-only" htmlFor={`role-${u.id}`}>
                        Role of {u.username}
                      </label>
                      <select
                        id={`role-${u.id}`}
                        className="input w-28 py-1"
                        value={u.role}
                        disabled={changeRole.isPending}
                        onChange={(e) =>
                          changeRole.mutate({
                            path: { user_id: u.id },
                            body: { role: e.target.value as Role },
                          })
                        }
                      >
                        {ROLES.map((r) => (
                          <option key={r} value={r}>
                            {r}
                          </option>
                        ))}
                      </select>
                    </Td>
                    <Td>
                      {u.is_active ? (
                        <Badge tone="success">Active</Badge>
                      ) : (
                        <Badge tone="danger">Inactive</Badge>
                      )}
                    </Td>
                    <Td className="hidden text-right tabular-nums md:table-cell">
                      {formatInt(u.total_predictions)}
                    </Td>
                    <Td className="hidden text-right tabular-nums md:table-cell">
                      {formatInt(u.total_saved_profiles)}
                    </Td>
                    <Td className="hidden whitespace-nowrap lg:table-cell">
                      {formatDateTime(u.created_at)}
                    </Td>
                    <Td>
                      <div className="flex justify-end gap-1">
                        <Button
                          size="sm"
                          variant="secondary"
                          icon={
                            u.is_active ? (
                              <UserX className="size-3.5" aria-hidden="true" />
                            ) : (
                              <UserCheck className="size-3.5" aria-hidden="true" />
                            )
                          }
                          onClick={() => toggle.mutate({ path: { user_id: u.id } })}
                          aria-label={`${u.is_active ? "Deactivate" : "Activate"} ${u.username}`}
                        >
                          <span className="hidden sm:inline">
                            {u.is_active ? "Deactivate" : "Activate"}
                          </span>
                        </Button>
                        <Button
                          size="sm"
                          variant="ghost"
                          className="hover:!text-red-700 dark:hover:!text-red-300"
                          icon={<Trash2 className="size-3.5" aria-hidden="true" />}
                          onClick={() => setDeleting(u)}
                          aria-label={`Delete ${u.username}`}
                          title="Delete"
                        />
                      </div>
                    </Td>
                  </tr>
                );
              })}
            </tbody>
          </Table>
          <Pagination
            skip={skip}
            limit={PAGE_SIZE}
            total={users.data.total}
            label="User pages"
            onChange={(next) =>
              void navigate({ search: (p) => ({ ...p, skip: next || undefined }) })
            }
          />
        </>
      )}
      <ConfirmDialog
        open={deleting !== null}
        onClose={() => setDeleting(null)}
        onConfirm={() => deleting && remove.mutate({ path: { user_id: deleting.id } })}
        busy={remove.isPending}
        title={`Delete ${deleting?.username ?? ""}?`}
        description="Their account, API keys, profiles and history are deleted; their sessions end at once."
        typeToConfirm={deleting?.username}
      />
    </Card>
  );
}

function bucketLabel(start: string, bucket: string): string {
  if (bucket === "month")
    return new Date(`${start}T00:00:00Z`).toLocaleDateString(undefined, {
      month: "short",
      year: "2-digit",
      timeZone: "UTC",
    });
  return new Date(`${start}T00:00:00Z`).toLocaleDateString(undefined, {
    month: "short",
    day: "numeric",
    timeZone: "UTC",
  });
}

function StatsPanel() {
  const search = Route.useSearch();
  const navigate = useNavigate({ from: Route.fullPath });
  const days = search.days ?? 30;
  const bucket = search.bucket ?? "day";
  const stats = useQuery({
    ...statsAdminStatsGetOptions({ query: { days, bucket } }),
    placeholderData: keepPreviousData,
  });
  if (stats.isPending) return <Loading />;
  if (stats.isError) return <ErrorState error={stats.error} onRetry={() => void stats.refetch()} />;
  const s = stats.data;
  const roles = ROLES.map((r, i) => ({ name: r, value: s.users_by_role[r] ?? 0, cluster: i }));
  const clusters = Object.entries(s.predictions_by_cluster)
    .sort((a, b) => b[1] - a[1])
    .map(([name, value], i) => ({ name, value, cluster: i }));
  const overTime = (s.predictions_over_time ?? []).map((b) => ({
    label: bucketLabel(b.start, bucket),
    count: b.count,
    start: b.start,
  }));
  const total = overTime.reduce((sum, b) => sum + b.count, 0);
  return (
    <div className="space-y-6">
      <div className="grid grid-cols-1 gap-4 sm:grid-cols-2 xl:grid-cols-4">
        <StatCard
          icon={Users}
          label="Users"
          value={formatInt(s.total_users)}
          detail={`${formatInt(s.active_users)} active · ${formatInt(s.inactive_users)} inactive`}
          testId="stat-users"
        />
        <StatCard
          icon={Activity}
          label="Predictions"
          value={formatInt(s.total_predictions)}
          detail={
            s.total_predictions === null ? "profile-service unavailable" : "All users, all time"
          }
        />
        <StatCard icon={Users} label="Saved profiles" value={formatInt(s.total_profiles)} />
        <StatCard
          icon={Activity}
          label={`Predictions, last ${days} days`}
          value={s.predictions_over_time ? formatInt(total) : "–"}
        />
      </div>
      <Card aria-labelledby="over-time-title">
        <CardHeader
          id="over-time-title"
          title="Predictions over time"
          description="UTC buckets; the first one may be partial."
          actions={
            <div className="flex flex-wrap gap-2">
              <SelectField
                label="Range"
                className="w-36"
                value={days}
                onChange={(e) =>
                  void navigate({
                    search: (p) => ({ ...p, days: Number(e.target.value) }),
                    replace: true,
                  })
                }
              >
                <option value={7}>Last 7 days</option>
                <option value={30}>Last 30 days</option>
                <option value={90}>Last 90 days</option>
                <option value={365}>Last 365 days</option>
              </SelectField>
              <SelectField
                label="Per"
                className="w-28"
                value={bucket}
                onChange={(e) =>
                  void navigate({
                    search: (p) => ({ ...p, bucket: e.target.value as AdminSearch["bucket"] }),
                    replace: true,
                  })
                }
              >
                <option value="day">Day</option>
                <option value="week">Week</option>
                <option value="month">Month</option>
              </SelectField>
            </div>
          }
        />
        <CardBody>
          {s.predictions_over_time === null || s.predictions_over_time === undefined ? (
            <EmptyState title="Unavailable">
              The profile service did not answer; try again shortly.
            </EmptyState>
          ) : (
            <ChartFigure
              title="Predictions over time"
              summary={`${formatInt(total)} predictions in the last ${days} days, per ${bucket}.`}
              table={
                <DataTable
                  caption="Predictions per period"
                  columns={["Period starting", "Predictions"]}
                  rows={overTime.map((b) => [formatDay(b.start), b.count])}
                />
              }
            >
              <TimeBars data={overTime} />
            </ChartFigure>
          )}
        </CardBody>
      </Card>
      <div className="grid grid-cols-1 gap-6 xl:grid-cols-2">
        <Card aria-labelledby="roles-title">
          <CardHeader id="roles-title" title="Users by role" />
          <CardBody>
            <ChartFigure
              title="Users by role"
              summary={roles.map((r) => `${r.name}: ${r.value}`).join("; ")}
              height={160}
              table={
                <DataTable
                  caption="Users by role"
                  columns={["Role", "Users"]}
                  rows={roles.map((r) => [r.name, r.value])}
                />
              }
            >
              <CategoryBars data={roles} />
            </ChartFigure>
          </CardBody>
        </Card>
        <Card aria-labelledby="clusters-title">
          <CardHeader
            id="clusters-title"
            title="Predictions by segment"
            description="Single predictions of every user."
          />
          <CardBody>
            {clusters.length === 0 ? (
              <EmptyState title="No predictions yet" />
            ) : (
              <ChartFigure
                title="Predictions by segment"
                summary={clusters.map((c) => `${c.name}: ${c.value}`).join("; ")}
                height={Math.max(160, clusters.length * 36)}
                table={
                  <DataTable
                    caption="Predictions by segment"
                    columns={["Segment", "Predictions"]}
                    rows={clusters.map((c) => [c.name, c.value])}
                  />
                }
              >
                <CategoryBars data={clusters} />
              </ChartFigure>
            )}
          </CardBody>
        </Card>
      </div>
    </div>
  );
}

function AuditPanel() {
  const search = Route.useSearch();
  const navigate = useNavigate({ from: Route.fullPath });
  const skip = search.skip ?? 0;
  const audit = useQuery({
    ...auditLogAdminAuditGetOptions({ query: { skip, limit: 50 } }),
    placeholderData: keepPreviousData,
  });
  return (
    <Card aria-labelledby="audit-title">
      <CardHeader
        id="audit-title"
        title="Audit log"
        description="Sign-ins, role changes, deactivations, deletions and API keys, newest first."
      />
      {audit.isPending ? (
        <Loading />
      ) : audit.isError ? (
        <ErrorState error={audit.error} onRetry={() => void audit.refetch()} />
      ) : audit.data.entries.length === 0 ? (
        <EmptyState title="Nothing recorded yet" />
      ) : (
        <>
          <Table caption="Audit entries">
            <thead>
              <tr>
                <Th>When</Th>
                <Th>Action</Th>
                <Th className="text-right">Actor</Th>
                <Th className="text-right">Target</Th>
                <Th className="hidden md:table-cell">Address</Th>
                <Th className="hidden lg:table-cell">Detail</Th>
              </tr>
            </thead>
            <tbody>
              {audit.data.entries.map((e) => (
                <tr key={e.id}>
                  <Td className="whitespace-nowrap">{formatDateTime(e.created_at)}</Td>
                  <Td>
                    <Badge
                      tone={
                        e.action.includes("fail") || e.action.includes("reuse")
                          ? "danger"
                          : "neutral"
                      }
                    >
                      {e.action.replaceAll("_", " ")}
                    </Badge>
                  </Td>
                  <Td className="text-right tabular-nums">{e.actor_id ?? "–"}</Td>
                  <Td className="text-right tabular-nums">{e.target_id ?? "–"}</Td>
                  <Td className="hidden font-mono text-xs md:table-cell">{e.ip ?? "–"}</Td>
                  <Td className="hidden max-w-xs truncate text-xs lg:table-cell">
                    {Object.keys(e.detail).length
                      ? Object.entries(e.detail)
                          .map(([k, v]) => `${k}: ${String(v)}`)
                          .join(", ")
                      : "–"}
                  </Td>
                </tr>
              ))}
            </tbody>
          </Table>
          <Pagination
            skip={skip}
            limit={50}
            total={audit.data.total}
            label="Audit pages"
            onChange={(next) =>
              void navigate({ search: (p) => ({ ...p, skip: next || undefined }) })
            }
          />
        </>
      )}
    </Card>
  );
}
