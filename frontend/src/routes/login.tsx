import { createFileRoute, Link, useNavigate } from "@tanstack/react-router";
import { LogIn } from "lucide-react";
import { type FormEvent, useState } from "react";
import { loginAuthLoginPost } from "@/client";
import { AuthCard } from "@/components/AuthCard";
import { Alert } from "@/components/ui/Alert";
import { Button } from "@/components/ui/Button";
import { TextField } from "@/components/ui/Field";
import { ApiError, errorMessage, formatWait } from "@/lib/errors";
import { optionalString, safeRedirect } from "@/lib/search";
import { session } from "@/lib/session";

export const Route = createFileRoute("/login")({
  validateSearch: (search: Record<string, unknown>): { redirect?: string; reason?: string } => ({
    redirect: safeRedirect(search.redirect),
    reason: optionalString(search.reason),
  }),
  component: LoginPage,
});

const REASONS: Record<string, string> = {
  expired: "Your session has ended. Sign in again to continue.",
  logged_out: "You have been logged out.",
  deleted: "Your account has been deleted.",
  registered: "Your account is ready. Sign in with it.",
};

/** What to tell the user for a failed sign-in (lockout shows the wait from Retry-After). */
export function loginFailure(error: unknown): string {
  if (error instanceof ApiError && error.status === 429) {
    const wait = error.retryAfter !== null ? formatWait(error.retryAfter) : "a while";
    return `Too many attempts. This account is locked: try again in ${wait}.`;
  }
  if (error instanceof ApiError && error.status === 403) {
    return "This account is deactivated. Ask an administrator to reactivate it.";
  }
  if (error instanceof ApiError && error.status === 401) return "Incorrect username or password.";
  return errorMessage(error);
}

function LoginPage() {
  const { redirect, reason } = Route.useSearch();
  const navigate = useNavigate();
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [touched, setTouched] = useState({ username: false, password: false });
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const errors = {
    username: username.trim() ? undefined : "Enter your username or email",
    password: password ? undefined : "Enter your password",
  };

  async function submit(event: FormEvent) {
    event.preventDefault();
    setTouched({ username: true, password: true });
    if (errors.username || errors.password) return;
    setBusy(true);
    setError(null);
    try {
      const { data } = await loginAuthLoginPost({
        body: { username: username.trim(), password },
        query: { refresh_cookie: true },
        throwOnError: true,
      });
      session.begin(data);
      if (redirect) await navigate({ href: redirect, replace: true });
      else await navigate({ to: "/dashboard", replace: true });
    } catch (caught) {
      setError(loginFailure(caught));
    } finally {
      setBusy(false);
    }
  }

  return (
    <AuthCard
      title="Sign in"
      subtitle={
        <>
          New here?{" "}
          <Link to="/register" className="link">
            Create an account
          </Link>
        </>
      }
    >
      <form onSubmit={submit} noValidate className="space-y-4">
        {reason && REASONS[reason] && !error && <Alert tone="info">{REASONS[reason]}</Alert>}
        {error && <Alert tone="error">{error}</Alert>}
        <TextField
          label="Username or email"
          name="username"
          autoComplete="username"
          value={username}
          onChange={(e) => setUsername(e.target.value)}
          onBlur={() => setTouched((t) => ({ ...t, username: true }))}
          error={touched.username ? errors.username : undefined}
          autoFocus
        />
        <TextField
          label="Password"
          name="password"
          type="password"
          autoComplete="current-password"
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          onBlur={() => setTouched((t) => ({ ...t, password: true }))}
          error={touched.password ? errors.password : undefined}
        />
        <Button
          type="submit"
          className="w-full"
          loading={busy}
          icon={<LogIn className="size-4" aria-hidden="true" />}
        >
          Sign in
        </Button>
      </form>
    </AuthCard>
  );
}
