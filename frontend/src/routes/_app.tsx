import { createFileRoute, Outlet, redirect } from "@tanstack/react-router";
import { AppShell } from "@/components/layout/AppShell";
import { session } from "@/lib/session";

/** Every signed-in page: restores the session from the refresh cookie, or goes to login. */
export const Route = createFileRoute("/_app")({
  beforeLoad: async ({ location }) => {
    const state = await session.ensure();
    if (state.status !== "authenticated") {
      throw redirect({ to: "/login", search: { redirect: location.href } });
    }
  },
  component: () => (
    <AppShell>
      <Outlet />
    </AppShell>
  ),
});
