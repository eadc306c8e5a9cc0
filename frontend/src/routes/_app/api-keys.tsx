import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { createFileRoute } from "@tanstack/react-router";
import { KeyRound, Plus, Trash2 } from "lucide-react";
import { type FormEvent, useState } from "react";
import type { ApiKeyCreate, ApiKeyCreated, ApiKeyPublic } from "@/client";
import {
  createApiKeyAuthApiKeysPostMutation,
  listApiKeysAuthApiKeysGetOptions,
  revokeApiKeyAuthApiKeysKeyIdDeleteMutation,
} from "@/client/@tanstack/react-query.gen";
import { ShownOnceSecret } from "@/components/ShownOnceSecret";
import { Alert } from "@/components/ui/Alert";
import { Button } from "@/components/ui/Button";
import { Card, CardBody, CardHeader } from "@/components/ui/Card";
import { ConfirmDialog, Dialog } from "@/components/ui/Dialog";
import { TextField } from "@/components/ui/Field";
import { PageHeader } from "@/components/ui/PageHeader";
import { Progress } from "@/components/ui/Progress";
import { Loading } from "@/components/ui/Spinner";
import { EmptyState, ErrorState } from "@/components/ui/States";
import { Table, Td, Th } from "@/components/ui/Table";
import { toast } from "@/components/ui/Toast";
import { errorMessage } from "@/lib/errors";
import { formatDateTime, formatInt, formatRelative } from "@/lib/format";
import { invalidate } from "@/lib/queries";

export const Route = createFileRoute("/_app/api-keys")({ component: ApiKeysPage });

type Scope = NonNullable<ApiKeyCreate["scopes"]>[number];
// API.md "Security": what a key may do; it never manages keys, the account or admin routes.
const SCOPES: { value: Scope; label: string }[] = [
  { value: "predict", label: "Predict (single, batch, saved profiles)" },
  { value: "history:read", label: "Read prediction history" },
  { value: "profiles:read", label: "Read customer profiles" },
  { value: "profiles:write", label: "Change customer profiles" },
  { value: "models:read", label: "Read models and clusters" },
];
const ADDRESS = /^[0-9a-fA-F.:]+(\/\d{1,3})?$/;

function ApiKeysPage() {
  const queryClient = useQueryClient();
  const keys = useQuery(listApiKeysAuthApiKeysGetOptions());
  const [name, setName] = useState("");
  const [quota, setQuota] = useState("");
  const [scopes, setScopes] = useState<Scope[]>(["predict"]);
  const [expires, setExpires] = useState("");
  const [addresses, setAddresses] = useState("");
  const [touched, setTouched] = useState(false);
  const [created, setCreated] = useState<ApiKeyCreated | null>(null);
  const [revoking, setRevoking] = useState<ApiKeyPublic | null>(null);

  const create = useMutation({
    ...createApiKeyAuthApiKeysPostMutation(),
    onSuccess: (key) => {
      setCreated(key);
      setName("");
      setQuota("");
      setScopes(["predict"]);
      setExpires("");
      setAddresses("");
      setTouched(false);
      void invalidate(queryClient, "listApiKeysAuthApiKeysGet");
    },
  });
  const revoke = useMutation({
    ...revokeApiKeyAuthApiKeysKeyIdDeleteMutation(),
    onSuccess: () => {
      toast.success(`Revoked “${revoking?.name}”: it stopped working`);
      setRevoking(null);
      void invalidate(queryClient, "listApiKeysAuthApiKeysGet");
    },
    onError: (error) => toast.error(error),
  });

  const quotaValue = quota === "" ? null : Number(quota);
  const addressList = addresses
    .split(/[\s,]+/)
    .map((a) => a.trim())
    .filter(Boolean);
  const today = new Date().toISOString().slice(0, 10);
  const errors = {
    name: !name.trim()
      ? "Name the key after what uses it"
      : name.length > 100
        ? "At most 100 characters"
        : undefined,
    quota:
      quotaValue !== null &&
      !(Number.isInteger(quotaValue) && quotaValue >= 1 && quotaValue <= 10_000_000)
        ? "A whole number from 1 to 10,000,000"
        : undefined,
    scopes: scopes.length === 0 ? "Pick at least one thing the key may do" : undefined,
    expires: expires !== "" && expires <= today ? "A date after today" : undefined,
    addresses: addressList.some((a) => !ADDRESS.test(a))
      ? "IP addresses or CIDRs, separated by commas"
      : undefined,
  };
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setTouched(true);
    if (errors.name || errors.quota || errors.scopes || errors.expires || errors.addresses) return;
    create.mutate({
      body: {
        name: name.trim(),
        daily_quota: quotaValue,
        scopes,
        expires_at: expires ? `${expires}T00:00:00Z` : null,
        allowed_ips: addressList.length ? addressList : null,
      },
    });
  };

  return (
    <>
      <PageHeader
        title="API keys"
        description="Keys let scripts call the API as you. Each key is shown once; only its prefix is kept afterwards."
      />
      <div className="grid grid-cols-1 gap-6 lg:grid-cols-3">
        <Card aria-labelledby="new-key-title">
          <CardHeader id="new-key-title" title="New key" />
          <CardBody>
            <form onSubmit={submit} className="space-y-4" noValidate aria-label="Create an API key">
              <TextField
                label="Key name"
                value={name}
                onChange={(e) => {
                  setName(e.target.value);
                  setTouched(true);
                }}
                error={touched ? errors.name : undefined}
                placeholder="nightly-etl"
              />
              <TextField
                label="Daily quota (optional)"
                type="number"
                min={1}
                step={1}
                value={quota}
                onChange={(e) => setQuota(e.target.value)}
                error={errors.quota}
                hint="Predictions per UTC day (one per row of a batch). Empty: no quota."
              />
              <fieldset>
                <legend className="mb-1 block text-sm font-medium text-slate-800 dark:text-slate-200">
                  What it may do
                </legend>
                <div className="space-y-1">
                  {SCOPES.map((scope) => (
                    <label key={scope.value} className="flex items-center gap-2 text-sm">
                      <input
                        type="checkbox"
                        checked={scopes.includes(scope.value)}
                        onChange={(e) =>
                          setScopes((current) =>
                            e.target.checked
                              ? [...current, scope.value]
                              : current.filter((s) => s !== scope.value),
                          )
                        }
                      />
                      {scope.label}
                    </label>
                  ))}
                </div>
                <p className="mt-1 text-xs muted">
                  {errors.scopes ??
                    "Give only what the script needs. No key can manage keys, your account or admin pages."}
                </p>
              </fieldset>
              <TextField
                label="Expires (optional)"
                type="date"
                min={today}
                value={expires}
                onChange={(e) => setExpires(e.target.value)}
                error={errors.expires}
                hint="At 00:00 UTC that day. Empty: never."
              />
              <TextField
                label="Allowed addresses (optional)"
                value={addresses}
                onChange={(e) => setAddresses(e.target.value)}
                error={errors.addresses}
                placeholder="203.0.113.10, 10.0.0.0/8"
                hint="IPs or CIDRs the key works from. Empty: anywhere."
              />
              {create.isError && <Alert tone="error">{errorMessage(create.error)}</Alert>}
              <Button
                type="submit"
                loading={create.isPending}
                icon={<Plus className="size-4" aria-hidden="true" />}
              >
                Create key
              </Button>
            </form>
          </CardBody>
        </Card>
        <Card className="lg:col-span-2" aria-labelledby="keys-title">
          <CardHeader
            id="keys-title"
            title="Your keys"
            description="Usage counts metered calls today (UTC)."
          />
          {keys.isPending ? (
            <Loading />
          ) : keys.isError ? (
            <ErrorState error={keys.error} onRetry={() => void keys.refetch()} />
          ) : keys.data.length === 0 ? (
            <EmptyState
              title="No API keys"
              icon={<KeyRound className="size-5" aria-hidden="true" />}
            >
              Create one for each script or integration, so you can revoke them one by one.
            </EmptyState>
          ) : (
            <Table caption="Your API keys">
              <thead>
                <tr>
                  <Th>Name</Th>
                  <Th className="hidden sm:table-cell">Prefix</Th>
                  <Th className="hidden lg:table-cell">Scopes</Th>
                  <Th>Used today</Th>
                  <Th className="hidden md:table-cell">Last used</Th>
                  <Th className="w-12">
                    <span className="sr-only">Actions</span>
                  </Th>
                </tr>
              </thead>
              <tbody>
                {keys.data.map((key) => (
                  <tr key={key.id} data-testid="api-key-row">
                    <Td className="font-medium">
                      <span className="block max-w-40 truncate">{key.name}</span>
                      <span className="text-xs font-normal muted">
                        created {formatDateTime(key.created_at)}
                      </span>
                    </Td>
                    <Td className="hidden font-mono text-xs sm:table-cell">{key.prefix}…</Td>
                    <Td className="hidden text-xs lg:table-cell" data-testid="api-key-scopes">
                      {key.scopes.join(", ")}
                      {key.allowed_ips ? (
                        <span className="block muted">from {key.allowed_ips.join(", ")}</span>
                      ) : null}
                      {key.expires_at ? (
                        <span className="block muted">until {formatDateTime(key.expires_at)}</span>
                      ) : null}
                    </Td>
                    <Td className="min-w-32">
                      <p className="text-sm tabular-nums" data-testid="api-key-usage">
                        {formatInt(key.used_today)}
                        {key.daily_quota ? ` / ${formatInt(key.daily_quota)}` : " (no quota)"}
                      </p>
                      {key.daily_quota ? (
                        <Progress
                          className="mt-1 h-1.5"
                          value={key.used_today / key.daily_quota}
                          label={`Quota used by ${key.name}`}
                          tone={key.used_today >= key.daily_quota ? "danger" : "brand"}
                        />
                      ) : null}
                    </Td>
                    <Td className="hidden md:table-cell">{formatRelative(key.last_used_at)}</Td>
                    <Td>
                      <Button
                        size="sm"
                        variant="ghost"
                        className="hover:!text-red-700 dark:hover:!text-red-300"
                        icon={<Trash2 className="size-3.5" aria-hidden="true" />}
                        onClick={() => setRevoking(key)}
                        aria-label={`Revoke ${key.name}`}
                        title="Revoke"
                      />
                    </Td>
                  </tr>
                ))}
              </tbody>
            </Table>
          )}
        </Card>
      </div>
      <Dialog
        open={created !== null}
        onClose={() => setCreated(null)}
        title={`Key “${created?.name ?? ""}” created`}
        footer={<Button onClick={() => setCreated(null)}>I saved it</Button>}
      >
        {created && (
          <div className="space-y-3">
            <Alert tone="warning">
              Copy it now: it is shown only this once. Store it like a password.
            </Alert>
            <ShownOnceSecret id="new-api-key" label="Your API key" value={created.key} what="key" />
            <p className="text-xs muted">
              Send it as <code>X-API-Key: &lt;key&gt;</code> (or as a Bearer token). See the
              Documentation page for examples.
            </p>
          </div>
        )}
      </Dialog>
      <ConfirmDialog
        open={revoking !== null}
        onClose={() => setRevoking(null)}
        onConfirm={() => revoking && revoke.mutate({ path: { key_id: revoking.id } })}
        busy={revoke.isPending}
        confirmLabel="Revoke"
        title={`Revoke “${revoking?.name ?? ""}”?`}
        description="Scripts using this key stop working at once. This can't be undone."
      />
    </>
  );
}
