import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { createRouter, RouterProvider } from "@tanstack/react-router";
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { NotFound } from "@/components/layout/NotFound";
import { RouteError } from "@/components/layout/RouteError";
import { configureApi } from "@/lib/api";
import { ApiError } from "@/lib/errors";
import { session } from "@/lib/session";
import { applyTheme, watchSystemTheme } from "@/lib/theme";
import { routeTree } from "./routeTree.gen";
import "./index.css";

applyTheme();
watchSystemTheme();
configureApi();
// Restore the session from the refresh cookie while the route code loads.
void session.restore();

const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      staleTime: 10_000,
      // A 4xx will answer the same again; retry only what may pass (network, 5xx).
      retry: (failures, error) =>
        failures < 2 && !(error instanceof ApiError && error.status >= 400 && error.status < 500),
    },
  },
});

const router = createRouter({
  routeTree,
  basepath: "/ui",
  context: { queryClient },
  defaultPreload: "intent",
  defaultPreloadStaleTime: 0,
  defaultErrorComponent: RouteError,
  defaultNotFoundComponent: NotFound,
  scrollRestoration: true,
});

declare module "@tanstack/react-router" {
  interface Register {
    router: typeof router;
  }
}

// When the session ends on its own (expired, revoked, deactivated), go to login and
// come back to the same page afterwards.
session.onEnd((reason) => {
  queryClient.clear();
  if (reason === "expired") {
    const { pathname, searchStr } = router.state.location;
    void router.navigate({ to: "/login", search: { redirect: pathname + searchStr, reason } });
  }
});

// Every navigation re-checks who the user is, so a role change made by an admin shows
// in the navigation on the user's next action.
router.subscribe("onResolved", () => {
  if (session.getState().status === "authenticated") void session.revalidate();
});

const root = document.getElementById("root");
if (root) {
  createRoot(root).render(
    <StrictMode>
      <QueryClientProvider client={queryClient}>
        <RouterProvider router={router} />
      </QueryClientProvider>
    </StrictMode>,
  );
}
