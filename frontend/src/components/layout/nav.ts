import {
  BookOpen,
  FileSpreadsheet,
  History,
  KeyRound,
  LayoutDashboard,
  type LucideIcon,
  Settings,
  ShieldCheck,
  Sparkles,
  Users,
  Webhook,
} from "lucide-react";
import type { Role } from "@/lib/roles";

export interface NavItem {
  to:
    | "/dashboard"
    | "/history"
    | "/profiles"
    | "/batch"
    | "/models"
    | "/webhooks"
    | "/api-keys"
    | "/admin"
    | "/documentation"
    | "/settings";
  label: string;
  icon: LucideIcon;
  role: Role;
}

/** The navigation; each item shows only to its role and the roles above it. */
export const NAV_ITEMS: NavItem[] = [
  { to: "/dashboard", label: "Dashboard", icon: LayoutDashboard, role: "user" },
  { to: "/history", label: "History", icon: History, role: "user" },
  { to: "/profiles", label: "Profiles", icon: Users, role: "user" },
  { to: "/batch", label: "Batch", icon: FileSpreadsheet, role: "user" },
  { to: "/models", label: "Models", icon: Sparkles, role: "analyst" },
  { to: "/webhooks", label: "Webhooks", icon: Webhook, role: "analyst" },
  { to: "/api-keys", label: "API keys", icon: KeyRound, role: "user" },
  { to: "/admin", label: "Admin", icon: ShieldCheck, role: "admin" },
  { to: "/documentation", label: "Documentation", icon: BookOpen, role: "user" },
  { to: "/settings", label: "Settings", icon: Settings, role: "user" },
];
