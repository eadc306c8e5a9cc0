import { Link, useRouter } from "@tanstack/react-router";
import { AlertOctagon } from "lucide-react";
import { Button } from "@/components/ui/Button";
import { errorMessage } from "@/lib/errors";

/** The error boundary of every route: never a blank screen. */
export function RouteError({ error, reset }: { error: unknown; reset?: () => void }) {
  const router = useRouter();
  return (
    <div
      className="mx-auto flex max-w-lg flex-col items-center px-4 py-16 text-center"
      role="alert"
    >
      <div className="mb-4 rounded-full bg-red-50 p-3 text-red-700 dark:bg-red-950 dark:text-red-300">
        <AlertOctagon className="size-6" aria-hidden="true" />
      </div>
      <h1 className="text-xl font-semibold">Something went wrong</h1>
      <p className="mt-2 text-sm muted">{errorMessage(error)}</p>
      <div className="mt-6 flex gap-2">
        <Button
          onClick={() => {
            reset?.();
            void router.invalidate();
          }}
        >
          Try again
        </Button>
        <Link
          to="/dashboard"
          className="inline-flex h-10 items-center rounded-lg px-4 text-sm font-medium link"
        >
          Go to the dashboard
        </Link>
      </div>
    </div>
  );
}
