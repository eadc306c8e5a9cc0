import type { ReactNode } from "react";
import { PublicShell } from "@/components/layout/PublicShell";

export function AuthCard({
  title,
  subtitle,
  children,
}: {
  title: string;
  subtitle?: ReactNode;
  children: ReactNode;
}) {
  return (
    <PublicShell>
      <div className="flex justify-center px-4 py-10 sm:py-16">
        <div className="w-full max-w-md">
          <h1 className="text-2xl font-semibold tracking-tight">{title}</h1>
          {subtitle && <p className="mt-1 text-sm muted">{subtitle}</p>}
          <div className="card mt-6 p-5 sm:p-6">{children}</div>
        </div>
      </div>
    </PublicShell>
  );
}
