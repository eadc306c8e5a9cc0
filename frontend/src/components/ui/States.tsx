import { Inbox, RotateCw } from "lucide-react";
import type { ReactNode } from "react";
import { errorMessage } from "@/lib/errors";
import { Alert } from "./Alert";
import { Button } from "./Button";

export function EmptyState({
  title,
  children,
  action,
  icon,
}: {
  title: string;
  children?: ReactNode;
  action?: ReactNode;
  icon?: ReactNode;
}) {
  return (
    <div className="flex flex-col items-center px-4 py-10 text-center">
      <div className="mb-3 rounded-full bg-slate-100 p-3 text-slate-600 dark:bg-slate-800 dark:text-slate-300">
        {icon ?? <Inbox className="size-5" aria-hidden="true" />}
      </div>
      <p className="font-medium text-slate-900 dark:text-slate-100">{title}</p>
      {children && <div className="mt-1 max-w-sm text-sm muted">{children}</div>}
      {action && <div className="mt-4">{action}</div>}
    </div>
  );
}

export function ErrorState({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  return (
    <Alert
      tone="error"
      title="Could not load this"
      className="m-4"
      action={
        onRetry && (
          <Button
            variant="secondary"
            size="sm"
            icon={<RotateCw className="size-3.5" />}
            onClick={onRetry}
          >
            Retry
          </Button>
        )
      }
    >
      {errorMessage(error)}
    </Alert>
  );
}
