import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { createFileRoute, useNavigate } from "@tanstack/react-router";
import { Monitor, Moon, Sun } from "lucide-react";
import { type FormEvent, useEffect, useState } from "react";
import { deleteMeUsersMeDelete } from "@/client";
import {
  myProfileUsersMeProfileGetOptions,
  updateMeUsersMePutMutation,
} from "@/client/@tanstack/react-query.gen";
import { Alert } from "@/components/ui/Alert";
import { Badge } from "@/components/ui/Badge";
import { Button } from "@/components/ui/Button";
import { Card, CardBody, CardHeader } from "@/components/ui/Card";
import { ConfirmDialog } from "@/components/ui/Dialog";
import { TextField } from "@/components/ui/Field";
import { PageHeader } from "@/components/ui/PageHeader";
import { toast } from "@/components/ui/Toast";
import { useCurrentUser } from "@/hooks/useSession";
import { useTheme } from "@/hooks/useTheme";
import { cn } from "@/lib/cn";
import { ApiError, errorMessage } from "@/lib/errors";
import { formatDay, formatInt } from "@/lib/format";
import { emailError, passwordError, usernameError } from "@/lib/passwords";
import { invalidate } from "@/lib/queries";
import { session } from "@/lib/session";
import type { ThemeChoice } from "@/lib/theme";

export const Route = createFileRoute("/_app/settings")({ component: SettingsPage });

function SettingsPage() {
  return (
    <>
      <PageHeader
        title="Profile & settings"
        description="Your account, your statistics, your password and how the console looks."
      />
      <div className="grid grid-cols-1 gap-6 xl:grid-cols-2">
        <DetailsCard />
        <div className="grid gap-6">
          <StatsCard />
          <AppearanceCard />
        </div>
        <PasswordCard />
        <DeleteCard />
      </div>
    </>
  );
}

function DetailsCard() {
  const user = useCurrentUser();
  const queryClient = useQueryClient();
  const [values, setValues] = useState({
    full_name: user.full_name ?? "",
    username: user.username,
    email: user.email,
    current_password: "",
  });
  useEffect(() => {
    setValues({
      full_name: user.full_name ?? "",
      username: user.username,
      email: user.email,
      current_password: "",
    });
  }, [user]);
  const emailChanged = values.email.trim().toLowerCase() !== user.email.toLowerCase();
  const errors = {
    username: usernameError(values.username.trim()),
    email: emailError(values.email.trim()),
    full_name: values.full_name.length > 255 ? "At most 255 characters" : undefined,
    current_password:
      emailChanged && !values.current_password ? "Needed to change your email" : undefined,
  };
  const update = useMutation({
    ...updateMeUsersMePutMutation(),
    onSuccess: (updated) => {
      session.updateUser(updated);
      toast.success("Your details were saved");
      void invalidate(queryClient, "myProfileUsersMeProfileGet");
    },
  });
  const fieldErrors = update.error instanceof ApiError ? update.error.fieldErrors : {};
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (Object.values(errors).some(Boolean)) return;
    update.mutate({
      body: {
        full_name: values.full_name.trim() || null,
        username: values.username.trim() !== user.username ? values.username.trim() : undefined,
        email: emailChanged ? values.email.trim() : undefined,
        current_password: emailChanged ? values.current_password : undefined,
      },
    });
  };
  const set = (field: keyof typeof values) => (e: React.ChangeEvent<HTMLInputElement>) =>
    setValues((v) => ({ ...v, [field]: e.target.value }));
  return (
    <Card aria-labelledby="details-title">
      <CardHeader
        id="details-title"
        title="My details"
        description={
          <>
            Signed in as <strong>{user.username}</strong> · <Badge tone="brand">{user.role}</Badge>
          </>
        }
      />
      <CardBody>
        <form onSubmit={submit} className="space-y-4" noValidate aria-label="My details">
          <TextField
            label="Full name"
            autoComplete="name"
            value={values.full_name}
            onChange={set("full_name")}
            error={errors.full_name ?? fieldErrors.full_name}
          />
          <TextField
            label="Username"
            autoComplete="username"
            value={values.username}
            onChange={set("username")}
            error={errors.username ?? fieldErrors.username}
          />
          <TextField
            label="Email"
            type="email"
            autoComplete="email"
            value={values.email}
            onChange={set("email")}
            error={errors.email ?? fieldErrors.email}
          />
          {emailChanged && (
            <TextField
              label="Current password"
              type="password"
              autoComplete="current-password"
              value={values.current_password}
              onChange={set("current_password")}
              error={errors.current_password}
              hint="Changing your email needs your password"
            />
          )}
          {update.isError && <Alert tone="error">{errorMessage(update.error)}</Alert>}
          <Button type="submit" loading={update.isPending}>
            Save details
          </Button>
        </form>
      </CardBody>
    </Card>
  );
}

function StatsCard() {
  const user = useCurrentUser();
  const me = useQuery(myProfileUsersMeProfileGetOptions());
  const items = [
    { label: "Predictions", value: formatInt(me.data?.total_predictions) },
    { label: "Saved profiles", value: formatInt(me.data?.total_saved_profiles) },
    { label: "Member since", value: formatDay(user.created_at.slice(0, 10)) },
  ];
  return (
    <Card aria-labelledby="stats-title">
      <CardHeader id="stats-title" title="My statistics" />
      <CardBody>
        <dl className="grid grid-cols-1 gap-3 sm:grid-cols-3">
          {items.map((item) => (
            <div key={item.label} className="rounded-lg bg-slate-50 p-3 dark:bg-slate-800/60">
              <dt className="text-xs muted">{item.label}</dt>
              <dd className="mt-0.5 font-semibold tabular-nums">
                {me.isPending && item.label !== "Member since" ? "…" : item.value}
              </dd>
            </div>
          ))}
        </dl>
      </CardBody>
    </Card>
  );
}

function AppearanceCard() {
  const [theme, setTheme] = useTheme();
  const options: { value: ThemeChoice; label: string; icon: typeof Sun }[] = [
    { value: "light", label: "Light", icon: Sun },
    { value: "dark", label: "Dark", icon: Moon },
    { value: "system", label: "System", icon: Monitor },
  ];
  return (
    <Card aria-labelledby="appearance-title">
      <CardHeader
        id="appearance-title"
        title="Appearance"
        description="Kept in this browser only."
      />
      <CardBody>
        <fieldset>
          <legend className="sr-only">Theme</legend>
          <div className="grid grid-cols-3 gap-2">
            {options.map((option) => (
              <label
                key={option.value}
                className={cn(
                  "relative flex cursor-pointer flex-col items-center gap-1 rounded-lg border p-3 text-sm font-medium has-[:focus-visible]:ring-2 has-[:focus-visible]:ring-indigo-500",
                  theme === option.value
                    ? "border-indigo-500 bg-indigo-50 text-indigo-800 dark:bg-indigo-950 dark:text-indigo-200"
                    : "border-slate-200 hover:bg-slate-50 dark:border-slate-700 dark:hover:bg-slate-800",
                )}
              >
                <input
                  type="radio"
                  name="theme"
                  value={option.value}
                  checked={theme === option.value}
                  onChange={() => setTheme(option.value)}
                  className="sr-only"
                />
                <option.icon className="size-4" aria-hidden="true" />
                {option.label}
              </label>
            ))}
          </div>
        </fieldset>
      </CardBody>
    </Card>
  );
}

function PasswordCard() {
  const [values, setValues] = useState({ current: "", next: "", confirm: "" });
  const [touched, setTouched] = useState(false);
  const update = useMutation({
    ...updateMeUsersMePutMutation(),
    onSuccess: () => {
      toast.success("Password changed. Your other sessions were signed out.");
      setValues({ current: "", next: "", confirm: "" });
      setTouched(false);
    },
  });
  const errors = {
    current: values.current ? undefined : "Enter your current password",
    next: passwordError(values.next),
    confirm: values.confirm === values.next ? undefined : "The passwords do not match",
  };
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setTouched(true);
    if (errors.current || errors.next || errors.confirm) return;
    update.mutate({ body: { password: values.next, current_password: values.current } });
  };
  const set = (field: keyof typeof values) => (e: React.ChangeEvent<HTMLInputElement>) =>
    setValues((v) => ({ ...v, [field]: e.target.value }));
  return (
    <Card aria-labelledby="password-title">
      <CardHeader
        id="password-title"
        title="Change password"
        description="8 to 128 characters with a letter and a digit."
      />
      <CardBody>
        <form onSubmit={submit} className="space-y-4" noValidate aria-label="Change password">
          <TextField
            label="Current password"
            type="password"
            autoComplete="current-password"
            value={values.current}
            onChange={set("current")}
            error={touched ? errors.current : undefined}
          />
          <TextField
            label="New password"
            type="password"
            autoComplete="new-password"
            value={values.next}
            onChange={set("next")}
            error={touched || values.next ? errors.next : undefined}
          />
          <TextField
            label="Confirm new password"
            type="password"
            autoComplete="new-password"
            value={values.confirm}
            onChange={set("confirm")}
            error={touched || values.confirm ? errors.confirm : undefined}
          />
          {update.isError && <Alert tone="error">{errorMessage(update.error)}</Alert>}
          <Button type="submit" loading={update.isPending}>
            Change password
          </Button>
        </form>
      </CardBody>
    </Card>
  );
}

function DeleteCard() {
  const user = useCurrentUser();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [open, setOpen] = useState(false);
  const remove = useMutation({
    mutationFn: () => deleteMeUsersMeDelete({ throwOnError: true }),
    onSuccess: async () => {
      session.end("deleted");
      queryClient.clear();
      await navigate({ to: "/login", search: { reason: "deleted" } });
    },
    onError: (error) => toast.error(error),
  });
  return (
    <Card className="self-start border-red-200 dark:border-red-900" aria-labelledby="delete-title">
      <CardHeader
        id="delete-title"
        title="Delete my account"
        description="Your profiles, history and API keys are deleted with it. This can't be undone."
      />
      <CardBody>
        <Button variant="danger" onClick={() => setOpen(true)}>
          Delete my account
        </Button>
      </CardBody>
      <ConfirmDialog
        open={open}
        onClose={() => setOpen(false)}
        onConfirm={() => remove.mutate()}
        busy={remove.isPending}
        title="Delete your account?"
        description="Everything you saved goes with it, at once and for good."
        confirmLabel="Delete my account"
        typeToConfirm={user.username}
      />
    </Card>
  );
}
