import { Link } from "@tanstack/react-router";
import type { ReactNode } from "react";
import { useSession } from "@/hooks/useSession";
import { Logo } from "./Logo";

/** Header and footer of the pages open to everyone (home, sign in, register, docs). */
export function PublicShell({ children }: { children: ReactNode }) {
  const { status } = useSession();
  return (
    <div className="flex min-h-dvh flex-col">
      <header className="border-b border-slate-200 bg-white dark:border-slate-800 dark:bg-slate-900">
        <div className="mx-auto flex h-16 max-w-6xl items-center justify-between gap-3 px-4 sm:px-6">
          <Link to="/" aria-label="Segmentation home">
            <Logo />
          </Link>
          <nav aria-label="Site" className="flex items-center gap-1 text-sm sm:gap-3">
            <Link
              to="/documentation"
              className="hidden rounded-md px-2 py-1.5 font-medium text-slate-700 hover:text-slate-900 sm:inline dark:text-slate-300 dark:hover:text-white"
            >
              Documentation
            </Link>
            {status === "authenticated" ? (
              <Link
                to="/dashboard"
                className="rounded-lg bg-indigo-600 px-3 py-2 font-medium text-white hover:bg-indigo-700 dark:bg-indigo-400 dark:text-slate-950 dark:hover:bg-indigo-300"
              >
                Open the console
              </Link>
            ) : (
              <>
                <Link
                  to="/login"
                  className="rounded-md px-2 py-1.5 font-medium text-slate-700 hover:text-slate-900 dark:text-slate-300 dark:hover:text-white"
                >
                  Sign in
                </Link>
                <Link
                  to="/register"
                  className="rounded-lg bg-indigo-600 px-3 py-2 font-medium text-white hover:bg-indigo-700 dark:bg-indigo-400 dark:text-slate-950 dark:hover:bg-indigo-300"
                >
                  <span className="sm:hidden">Sign up</span>
                  <span className="hidden sm:inline">Create account</span>
                </Link>
              </>
            )}
          </nav>
        </div>
      </header>
      <main id="main" className="flex-1">
        {children}
      </main>
      <footer className="border-t border-slate-200 py-6 text-center text-xs muted dark:border-slate-800">
        Customer Segmentation Platform ·{" "}
        <a className="link" href="/docs">
          API reference
        </a>{" "}
        ·{" "}
        <a className="link" href="/redoc">
          ReDoc
        </a>
      </footer>
    </div>
  );
}
