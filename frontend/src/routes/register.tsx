import { createFileRoute, Link, useNavigate } from "@tanstack/react-router";
import { Check, Circle } from "lucide-react";
import { type FormEvent, useState } from "react";
import { registerAuthRegisterPost } from "@/client";
import { AuthCard } from "@/components/AuthCard";
import { Alert } from "@/components/ui/Alert";
import { Button } from "@/components/ui/Button";
import { TextField } from "@/components/ui/Field";
import { cn } from "@/lib/cn";
import { ApiError, errorMessage, formatWait } from "@/lib/errors";
import { emailError, passwordChecks, passwordError, usernameError } from "@/lib/passwords";

export const Route = createFileRoute("/register")({ component: RegisterPage });

type Field = "email" | "username" | "full_name" | "password" | "confirm";

function RegisterPage() {
  const navigate = useNavigate();
  const [values, setValues] = useState<Record<Field, string>>({
    email: "",
    username: "",
    full_name: "",
    password: "",
    confirm: "",
  });
  const [touched, setTouched] = useState<Partial<Record<Field, boolean>>>({});
  const [serverErrors, setServerErrors] = useState<Partial<Record<Field, string>>>({});
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const errors: Partial<Record<Field, string>> = {
    email: emailError(values.email.trim()),
    username: usernameError(values.username.trim()),
    full_name: values.full_name.length > 255 ? "At most 255 characters" : undefined,
    password: passwordError(values.password),
    confirm: values.confirm === values.password ? undefined : "The passwords do not match",
  };
  const shown = (field: Field) =>
    serverErrors[field] ?? (touched[field] ? errors[field] : undefined);

  const bind = (field: Field) => ({
    value: values[field],
    onChange: (e: React.ChangeEvent<HTMLInputElement>) => {
      setValues((v) => ({ ...v, [field]: e.target.value }));
      setTouched((t) => ({ ...t, [field]: true }));
      setServerErrors((s) => ({ ...s, [field]: undefined }));
    },
    onBlur: () => setTouched((t) => ({ ...t, [field]: true })),
    error: shown(field),
  });

  async function submit(event: FormEvent) {
    event.preventDefault();
    setTouched({ email: true, username: true, full_name: true, password: true, confirm: true });
    if (Object.values(errors).some(Boolean)) return;
    setBusy(true);
    setError(null);
    try {
      await registerAuthRegisterPost({
        body: {
          email: values.email.trim(),
          username: values.username.trim(),
          full_name: values.full_name.trim() || null,
          password: values.password,
        },
        throwOnError: true,
      });
      await navigate({ to: "/login", search: { reason: "registered" } });
    } catch (caught) {
      if (caught instanceof ApiError && caught.status === 409) {
        const field: Field = /email/i.test(caught.message) ? "email" : "username";
        setServerErrors({ [field]: caught.message });
      } else if (caught instanceof ApiError && caught.status === 422) {
        setServerErrors(caught.fieldErrors as Partial<Record<Field, string>>);
        setError(caught.message);
      } else if (caught instanceof ApiError && caught.status === 429) {
        setError(
          `Too many sign-ups from this address. Try again in ${formatWait(caught.retryAfter ?? 60)}.`,
        );
      } else {
        setError(errorMessage(caught));
      }
    } finally {
      setBusy(false);
    }
  }

  return (
    <AuthCard
      title="Create your account"
      subtitle={
        <>
          Already registered?{" "}
          <Link to="/login" className="link">
            Sign in
          </Link>
        </>
      }
    >
      <form onSubmit={submit} noValidate className="space-y-4">
        {error && <Alert tone="error">{error}</Alert>}
        <TextField
          label="Email"
          name="email"
          type="email"
          autoComplete="email"
          {...bind("email")}
        />
        <TextField
          label="Username"
          name="username"
          autoComplete="username"
          hint="3 to 50 letters, digits, '_', '.' or '-'"
          {...bind("username")}
        />
        <TextField
          label="Full name (optional)"
          name="full_name"
          autoComplete="name"
          {...bind("full_name")}
        />
        <div>
          <TextField
            label="Password"
            name="password"
            type="password"
            autoComplete="new-password"
            {...bind("password")}
          />
          <ul className="mt-2 grid gap-1 text-xs" aria-label="Password rules">
            {passwordChecks(values.password).map((check) => (
              <li
                key={check.label}
                className={cn(
                  "flex items-center gap-1.5",
                  check.ok ? "text-emerald-700 dark:text-emerald-400" : "muted",
                )}
              >
                {check.ok ? (
                  <Check className="size-3.5" aria-hidden="true" />
                ) : (
                  <Circle className="size-3.5" aria-hidden="true" />
                )}
                {check.label}
                <span className="sr-only">{check.ok ? "(met)" : "(not met yet)"}</span>
              </li>
            ))}
          </ul>
        </div>
        <TextField
          label="Confirm password"
          name="confirm"
          type="password"
          autoComplete="new-password"
          {...bind("confirm")}
        />
        <Button type="submit" className="w-full" loading={busy}>
          Create account
        </Button>
      </form>
    </AuthCard>
  );
}
