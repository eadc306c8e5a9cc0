import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { createFileRoute, redirect } from "@tanstack/react-router";
import { Plus, Trash2, Webhook } from "lucide-react";
import { type FormEvent, useState } from "react";
import type { DeliveryPublic, WebhookCreated, WebhookPublic } from "@/client";
import {
  createWebhookWebhooksPostMutation,
  deleteWebhookWebhooksWebhookIdDeleteMutation,
  listDeliveriesWebhooksWebhookIdDeliveriesGetOptions,
  listWebhooksWebhooksGetOptions,
} from "@/client/@tanstack/react-query.gen";
import { RequireRole } from "@/components/RequireRole";
import { ShownOnceSecret } from "@/components/ShownOnceSecret";
import { Alert } from "@/components/ui/Alert";
import { Badge } from "@/components/ui/Badge";
import { Button } from "@/components/ui/Button";
import { Card, CardBody, CardHeader } from "@/components/ui/Card";
import { ConfirmDialog, Dialog } from "@/components/ui/Dialog";
import { TextField } from "@/components/ui/Field";
import { PageHeader } from "@/components/ui/PageHeader";
import { Loading } from "@/components/ui/Spinner";
import { EmptyState, ErrorState } from "@/components/ui/States";
import { Table, Td, Th } from "@/components/ui/Table";
import { toast } from "@/components/ui/Toast";
import { errorMessage } from "@/lib/errors";
import { formatDateTime } from "@/lib/format";
import { invalidate } from "@/lib/queries";
import { hasRole } from "@/lib/roles";
import { session } from "@/lib/session";

const EVENTS = [
  { value: "training.succeeded", label: "Training succeeded" },
  { value: "training.failed", label: "Training failed" },
  { value: "model.activated", label: "Model activated" },
  { value: "drift.detected", label: "Drift detected" },
] as const;
type EventName = (typeof EVENTS)[number]["value"];

export const Route = createFileRoute("/_app/webhooks")({
  beforeLoad: () => {
    if (!hasRole(session.getState().user, "analyst")) throw redirect({ to: "/dashboard" });
  },
  component: () => (
    <RequireRole needs="analyst">
      <WebhooksPage />
    </RequireRole>
  ),
});

function WebhooksPage() {
  const queryClient = useQueryClient();
  const hooks = useQuery(listWebhooksWebhooksGetOptions());
  const [url, setUrl] = useState("");
  const [description, setDescription] = useState("");
  const [events, setEvents] = useState<EventName[]>(["training.succeeded", "model.activated"]);
  const [touched, setTouched] = useState(false);
  const [created, setCreated] = useState<WebhookCreated | null>(null);
  const [removing, setRemoving] = useState<WebhookPublic | null>(null);
  const [selected, setSelected] = useState<number | null>(null);

  const create = useMutation({
    ...createWebhookWebhooksPostMutation(),
    onSuccess: (hook) => {
      setCreated(hook);
      setUrl("");
      setDescription("");
      setTouched(false);
      setSelected(hook.id);
      void invalidate(queryClient, "listWebhooksWebhooksGet");
    },
  });
  const remove = useMutation({
    ...deleteWebhookWebhooksWebhookIdDeleteMutation(),
    onSuccess: () => {
      toast.success("Webhook deleted: nothing more is sent to it");
      if (removing?.id === selected) setSelected(null);
      setRemoving(null);
      void invalidate(queryClient, "listWebhooksWebhooksGet");
    },
    onError: (error) => toast.error(error),
  });

  const errors = {
    url: !/^https?:\/\/\S+$/.test(url.trim())
      ? "An http(s):// URL"
      : url.length > 2048
        ? "At most 2048 characters"
        : undefined,
    events: events.length === 0 ? "Choose at least one event" : undefined,
  };
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setTouched(true);
    if (errors.url || errors.events) return;
    create.mutate({
      body: { url: url.trim(), events, description: description.trim() || null },
    });
  };
  const toggle = (name: EventName) =>
    setEvents((current) =>
      current.includes(name) ? current.filter((e) => e !== name) : [...current, name],
    );

  return (
    <>
      <PageHeader
        title="Webhooks"
        description="Send segmentation events to your CRM or marketing tools. Each delivery is signed with the webhook's secret (see the README's receiver)."
      />
      <div className="grid grid-cols-1 gap-6 lg:grid-cols-3">
        <Card aria-labelledby="new-webhook-title">
          <CardHeader id="new-webhook-title" title="New webhook" />
          <CardBody>
            <form onSubmit={submit} className="space-y-4" noValidate aria-label="Create a webhook">
              <TextField
                label="Receiver URL"
                type="url"
                value={url}
                onChange={(e) => {
                  setUrl(e.target.value);
                  setTouched(true);
                }}
                error={touched ? errors.url : undefined}
                placeholder="https://crm.example.com/hooks/segments"
                hint="Must resolve to a public address"
              />
              <fieldset aria-describedby={errors.events ? "webhook-events-error" : undefined}>
                <legend className="mb-1 text-sm font-medium">Events</legend>
                <div className="space-y-1.5 text-sm">
                  {EVENTS.map((e) => (
                    <label key={e.value} className="flex items-center gap-2">
                      <input
                        type="checkbox"
                        checked={events.includes(e.value)}
                        onChange={() => toggle(e.value)}
                        className="size-4 accent-indigo-600"
                      />
                      {e.label} <code className="text-xs muted">{e.value}</code>
                    </label>
                  ))}
                </div>
                {errors.events && (
                  <p
                    id="webhook-events-error"
                    className="mt-1 text-xs text-red-700 dark:text-red-300"
                  >
                    {errors.events}
                  </p>
                )}
              </fieldset>
              <TextField
                label="Description (optional)"
                value={description}
                onChange={(e) => setDescription(e.target.value)}
                maxLength={500}
              />
              {create.isError && <Alert tone="error">{errorMessage(create.error)}</Alert>}
              <Button
                type="submit"
                loading={create.isPending}
                icon={<Plus className="size-4" aria-hidden="true" />}
              >
                Create webhook
              </Button>
            </form>
          </CardBody>
        </Card>
        <Card className="lg:col-span-2" aria-labelledby="webhooks-title">
          <CardHeader
            id="webhooks-title"
            title="Your webhooks"
            description="Choose one to see its deliveries."
          />
          {hooks.isPending ? (
            <Loading />
          ) : hooks.isError ? (
            <ErrorState error={hooks.error} onRetry={() => void hooks.refetch()} />
          ) : hooks.data.length === 0 ? (
            <EmptyState
              title="No webhooks"
              icon={<Webhook className="size-5" aria-hidden="true" />}
            >
              Create one to be told when a training ends or a model goes live.
            </EmptyState>
          ) : (
            <Table caption="Your webhooks">
              <thead>
                <tr>
                  <Th>URL</Th>
                  <Th className="hidden md:table-cell">Events</Th>
                  <Th className="w-40">
                    <span className="sr-only">Actions</span>
                  </Th>
                </tr>
              </thead>
              <tbody>
                {hooks.data.map((hook) => (
                  <tr key={hook.id} data-testid="webhook-row">
                    <Td className="font-medium">
                      <span className="block max-w-56 truncate font-mono text-xs sm:max-w-80">
                        {hook.url}
                      </span>
                      <span className="text-xs font-normal muted">
                        {hook.description ? `${hook.description} · ` : ""}created{" "}
                        {formatDateTime(hook.created_at)}
                      </span>
                    </Td>
                    <Td className="hidden text-xs md:table-cell">{hook.events.join(", ")}</Td>
                    <Td className="text-right whitespace-nowrap">
                      <Button
                        size="sm"
                        variant={selected === hook.id ? "primary" : "secondary"}
                        onClick={() => setSelected(hook.id)}
                        aria-pressed={selected === hook.id}
                        aria-label={`Deliveries of ${hook.url}`}
                      >
                        Deliveries
                      </Button>
                      <Button
                        size="sm"
                        variant="ghost"
                        className="hover:!text-red-700 dark:hover:!text-red-300"
                        icon={<Trash2 className="size-3.5" aria-hidden="true" />}
                        onClick={() => setRemoving(hook)}
                        aria-label={`Delete ${hook.url}`}
                        title="Delete"
                      />
                    </Td>
                  </tr>
                ))}
              </tbody>
            </Table>
          )}
        </Card>
      </div>
      {selected !== null && <DeliveriesCard webhookId={selected} />}
      <Dialog
        open={created !== null}
        onClose={() => setCreated(null)}
        title="Webhook created"
        footer={<Button onClick={() => setCreated(null)}>I saved it</Button>}
      >
        {created && (
          <div className="space-y-3">
            <Alert tone="warning">Copy the signing secret now: it is shown only this once.</Alert>
            <ShownOnceSecret
              id="new-webhook-secret"
              label="Signing secret"
              value={created.secret}
              what="secret"
            />
            <p className="text-xs muted">
              Verify <code>X-Webhook-Signature</code>: <code>v1=</code> + hex HMAC-SHA256 of{" "}
              <code>&lt;X-Webhook-Timestamp&gt;.&lt;body&gt;</code> with this secret.
            </p>
          </div>
        )}
      </Dialog>
      <ConfirmDialog
        open={removing !== null}
        onClose={() => setRemoving(null)}
        onConfirm={() => removing && remove.mutate({ path: { webhook_id: removing.id } })}
        busy={remove.isPending}
        confirmLabel="Delete"
        title="Delete this webhook?"
        description={`Nothing more is sent to ${removing?.url ?? ""}, and its delivery log goes with it.`}
      />
    </>
  );
}

const STATUS_TONE = { succeeded: "success", failed: "danger", pending: "warning" } as const;

function DeliveriesCard({ webhookId }: { webhookId: number }) {
  const deliveries = useQuery({
    ...listDeliveriesWebhooksWebhookIdDeliveriesGetOptions({ path: { webhook_id: webhookId } }),
    refetchInterval: 5000,
  });
  return (
    <Card className="mt-6" aria-labelledby="deliveries-title">
      <CardHeader
        id="deliveries-title"
        title="Deliveries"
        description="The latest 50, newest first; refreshed every 5 s. Failed attempts are retried with backoff."
      />
      {deliveries.isPending ? (
        <Loading />
      ) : deliveries.isError ? (
        <ErrorState error={deliveries.error} onRetry={() => void deliveries.refetch()} />
      ) : deliveries.data.length === 0 ? (
        <EmptyState
          title="Nothing delivered yet"
          icon={<Webhook className="size-5" aria-hidden="true" />}
        >
          Events appear here as they happen.
        </EmptyState>
      ) : (
        <Table caption="Deliveries of this webhook">
          <thead>
            <tr>
              <Th>Event</Th>
              <Th>Status</Th>
              <Th className="text-right">Attempts</Th>
              <Th className="hidden sm:table-cell">Last answer</Th>
              <Th className="hidden md:table-cell">Created</Th>
            </tr>
          </thead>
          <tbody>
            {deliveries.data.map((d: DeliveryPublic) => (
              <tr key={d.id} data-testid="delivery-row">
                <Td className="font-mono text-xs">{d.event}</Td>
                <Td>
                  <Badge tone={STATUS_TONE[d.status as keyof typeof STATUS_TONE] ?? "neutral"}>
                    {d.status}
                  </Badge>
                  {d.status === "pending" && d.next_attempt_at && (
                    <span className="block text-xs muted">
                      next try {formatDateTime(d.next_attempt_at)}
                    </span>
                  )}
                </Td>
                <Td className="text-right tabular-nums">{d.attempts}</Td>
                <Td className="hidden max-w-64 truncate text-xs sm:table-cell">
                  {d.last_status_code ?? d.last_error ?? "–"}
                </Td>
                <Td className="hidden whitespace-nowrap md:table-cell">
                  {formatDateTime(d.created_at)}
                </Td>
              </tr>
            ))}
          </tbody>
        </Table>
      )}
    </Card>
  );
}
