/** Roles are ordered user < analyst < admin; a page open to a role is open to higher ones. */
import type { UserPublic } from "@/client";

export type Role = UserPublic["role"];
const RANK: Record<Role, number> = { user: 0, analyst: 1, admin: 2 };

export function hasRole(user: Pick<UserPublic, "role"> | null | undefined, needed: Role): boolean {
  return !!user && RANK[user.role] >= RANK[needed];
}
