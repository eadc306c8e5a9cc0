import { Link } from "@tanstack/react-router";
import { Lock } from "lucide-react";
import type { ReactNode } from "react";
import { EmptyState } from "@/components/ui/States";
import { useSession } from "@/hooks/useSession";
import { hasRole, type Role } from "@/lib/roles";

/** Shows `children` only to `role` and above; a role taken away mid-visit hides the page. */
export function RequireRole({ needs: role, children }: { needs: Role; children: ReactNode }) {
  const { user } = useSession();
  if (hasRole(user, role)) return <>{children}</>;
  return (
    <EmptyState
      title="You don't have access to this page"
      icon={<Lock className="size-5" aria-hidden="true" />}
      action={
        <Link to="/dashboard" className="link">
          Back to the dashboard
        </Link>
      }
    >
      It needs the {role} role. An administrator can change your role.
    </EmptyState>
  );
}
