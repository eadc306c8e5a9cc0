import { useSyncExternalStore } from "react";
import { type SessionState, session } from "@/lib/session";

/** The session, re-rendering when it changes (sign-in, refresh with a new role, end). */
export function useSession(): SessionState {
  return useSyncExternalStore(session.subscribe, session.getState, session.getState);
}

/** The signed-in user; only inside the authenticated layout. */
export function useCurrentUser() {
  const { user } = useSession();
  if (!user) throw new Error("useCurrentUser outside the signed-in layout");
  return user;
}
