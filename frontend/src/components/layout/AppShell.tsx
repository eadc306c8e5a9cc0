import { Link } from "@tanstack/react-router";
import { LogOut, Menu, Moon, Sun, X } from "lucide-react";
import { type ReactNode, useState } from "react";
import { Badge } from "@/components/ui/Badge";
import { useLogout } from "@/hooks/useLogout";
import { useSession } from "@/hooks/useSession";
import { useTheme } from "@/hooks/useTheme";
import { cn } from "@/lib/cn";
import { hasRole } from "@/lib/roles";
import { Logo } from "./Logo";
import { NAV_ITEMS } from "./nav";

function NavLinks({ onNavigate }: { onNavigate?: () => void }) {
  const { user } = useSession();
  return (
    <ul className="space-y-0.5">
      {NAV_ITEMS.filter((item) => hasRole(user, item.role)).map((item) => (
        <li key={item.to}>
          <Link
            to={item.to}
            onClick={onNavigate}
            className="flex items-center gap-3 rounded-lg px-3 py-2 text-sm font-medium text-slate-700 hover:bg-slate-100 hover:text-slate-900 dark:text-slate-300 dark:hover:bg-slate-800 dark:hover:text-white"
            activeProps={{
              className:
                "bg-indigo-50 !text-indigo-800 hover:!bg-indigo-50 dark:bg-indigo-950/70 dark:!text-indigo-200 dark:hover:!bg-indigo-950/70",
              "aria-current": "page",
            }}
          >
            <item.icon className="size-4 shrink-0" aria-hidden="true" />
            {item.label}
          </Link>
        </li>
      ))}
    </ul>
  );
}

function ThemeToggle() {
  const [choice, setChoice] = useTheme();
  const dark =
    choice === "dark" ||
    (choice === "system" &&
      typeof document !== "undefined" &&
      document.documentElement.classList.contains("dark"));
  return (
    <button
      type="button"
      onClick={() => setChoice(dark ? "light" : "dark")}
      className="rounded-lg p-2 text-slate-600 hover:bg-slate-100 hover:text-slate-900 dark:text-slate-300 dark:hover:bg-slate-800 dark:hover:text-white"
      aria-label={dark ? "Switch to light theme" : "Switch to dark theme"}
    >
      {dark ? (
        <Sun className="size-4" aria-hidden="true" />
      ) : (
        <Moon className="size-4" aria-hidden="true" />
      )}
    </button>
  );
}

function UserBlock() {
  const { user } = useSession();
  const logout = useLogout();
  if (!user) return null;
  return (
    <div className="flex items-center gap-3 border-t border-slate-200 p-3 dark:border-slate-800">
      <div
        className="flex size-9 shrink-0 items-center justify-center rounded-full bg-indigo-100 text-sm font-semibold text-indigo-800 uppercase dark:bg-indigo-900 dark:text-indigo-100"
        aria-hidden="true"
      >
        {(user.full_name || user.username).slice(0, 1)}
      </div>
      <div className="min-w-0 flex-1">
        <p className="truncate text-sm font-medium" data-testid="current-user">
          {user.full_name || user.username}
        </p>
        <Badge
          tone={user.role === "admin" ? "danger" : user.role === "analyst" ? "brand" : "neutral"}
        >
          <span data-testid="current-role">{user.role}</span>
        </Badge>
      </div>
      <button
        type="button"
        onClick={() => void logout()}
        className="rounded-lg p-2 text-slate-600 hover:bg-slate-100 hover:text-slate-900 dark:text-slate-300 dark:hover:bg-slate-800 dark:hover:text-white"
        aria-label="Log out"
        title="Log out"
      >
        <LogOut className="size-4" aria-hidden="true" />
      </button>
    </div>
  );
}

export function AppShell({ children }: { children: ReactNode }) {
  const [menuOpen, setMenuOpen] = useState(false);
  return (
    <div className="min-h-dvh lg:flex">
      <a
        href="#main"
        className="sr-only z-50 rounded-md bg-indigo-600 px-3 py-2 text-white focus:not-sr-only focus:fixed focus:top-2 focus:left-2"
      >
        Skip to content
      </a>
      {/* Desktop sidebar */}
      <aside className="hidden w-64 shrink-0 border-r border-slate-200 bg-white lg:fixed lg:inset-y-0 lg:flex lg:flex-col dark:border-slate-800 dark:bg-slate-900">
        <div className="flex h-16 items-center justify-between px-5">
          <Link to="/dashboard" className="rounded-md" aria-label="Segmentation console home">
            <Logo />
          </Link>
          <ThemeToggle />
        </div>
        <nav aria-label="Main" className="flex-1 overflow-y-auto px-3 py-2">
          <NavLinks />
        </nav>
        <UserBlock />
      </aside>

      {/* Mobile top bar */}
      <header className="sticky top-0 z-30 flex h-14 items-center justify-between border-b border-slate-200 bg-white/95 px-4 backdrop-blur lg:hidden dark:border-slate-800 dark:bg-slate-900/95">
        <Link
          to="/dashboard"
          aria-label="Segmentation console home"
          onClick={() => setMenuOpen(false)}
        >
          <Logo />
        </Link>
        <div className="flex items-center gap-1">
          <ThemeToggle />
          <button
            type="button"
            onClick={() => setMenuOpen((open) => !open)}
            className="rounded-lg p-2 text-slate-700 hover:bg-slate-100 dark:text-slate-200 dark:hover:bg-slate-800"
            aria-expanded={menuOpen}
            aria-controls="mobile-menu"
            aria-label={menuOpen ? "Close menu" : "Open menu"}
          >
            {menuOpen ? (
              <X className="size-5" aria-hidden="true" />
            ) : (
              <Menu className="size-5" aria-hidden="true" />
            )}
          </button>
        </div>
      </header>
      <div
        id="mobile-menu"
        className={cn(
          "fixed inset-x-0 top-14 bottom-0 z-20 flex flex-col bg-white lg:hidden dark:bg-slate-900",
          !menuOpen && "hidden",
        )}
      >
        <nav aria-label="Main" className="flex-1 overflow-y-auto p-3">
          <NavLinks onNavigate={() => setMenuOpen(false)} />
        </nav>
        <UserBlock />
      </div>

      <main id="main" className="min-w-0 flex-1 lg:pl-64">
        <div className="mx-auto w-full max-w-7xl px-4 py-6 sm:px-6 lg:px-8 lg:py-8">{children}</div>
      </main>
    </div>
  );
}
