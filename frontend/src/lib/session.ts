/**
 * The signed-in session. The access token lives in this module's memory only; the
 * refresh token is an HttpOnly cookie the browser sends to /auth (scripts never see
 * it). A 401 triggers one refresh (which rotates the cookie); when that fails the
 * session ends and the app sends the user to the login page with a return path.
 */
import type { TokenPair, UserPublic } from "@/client";
import { meAuthMeGet, refreshAuthRefreshPost } from "@/client";

export type SessionStatus = "unknown" | "authenticated" | "anonymous";
export type EndReason = "expired" | "logged_out" | "deleted" | null;

export interface SessionState {
  status: SessionStatus;
  user: UserPublic | null;
  ended: EndReason;
}

let accessToken: string | null = null;
let state: SessionState = { status: "unknown", user: null, ended: null };
const listeners = new Set<() => void>();
const endListeners = new Set<(reason: EndReason) => void>();
let inflight: Promise<string | null> | null = null;
// Bumped whenever the user object is replaced, so a slower /auth/me answer that was
// asked for earlier never overwrites a newer one (e.g. right after a profile edit).
let userEpoch = 0;

function publish(next: SessionState): void {
  if (next.user !== state.user) userEpoch += 1;
  state = next;
  for (const listener of listeners) listener();
}

export const session = {
  getState: (): SessionState => state,

  subscribe(listener: () => void): () => void {
    listeners.add(listener);
    return () => listeners.delete(listener);
  },

  /** Called with the reason whenever the session ends (the router sends the user to login). */
  onEnd(listener: (reason: EndReason) => void): () => void {
    endListeners.add(listener);
    return () => endListeners.delete(listener);
  },

  token: (): string | null => accessToken,

  begin(pair: TokenPair): void {
    accessToken = pair.access_token;
    publish({ status: "authenticated", user: pair.user, ended: null });
  },

  updateUser(user: UserPublic): void {
    if (state.status === "authenticated") publish({ ...state, user });
  },

  end(reason: Exclude<EndReason, null>): void {
    const wasSignedIn = state.status === "authenticated";
    accessToken = null;
    publish({ status: "anonymous", user: null, ended: reason });
    if (wasSignedIn) for (const listener of endListeners) listener(reason);
  },

  /**
   * Exchange the refresh cookie for a new token pair, once even when many requests
   * ask at the same time (and across tabs, through a Web Lock, so two tabs never
   * present the same refresh token). Resolves to the new access token or null.
   */
  refresh(): Promise<string | null> {
    inflight ??= (async () => {
      const run = () => refreshFromCookie();
      try {
        return typeof navigator !== "undefined" && navigator.locks
          ? await navigator.locks.request("seg-console-refresh", run)
          : await run();
      } finally {
        inflight = null;
      }
    })();
    return inflight;
  },

  /**
   * Ask the API who we are. A revoked token (role change, deactivation) answers 401,
   * which refreshes the session: the new token pair carries the current role.
   */
  async revalidate(): Promise<void> {
    const asked = userEpoch;
    const { data } = await meAuthMeGet();
    if (data && state.status === "authenticated" && userEpoch === asked) session.updateUser(data);
  },

  /** Before a signed-in page: the session, restored from the refresh cookie if needed. */
  async ensure(): Promise<SessionState> {
    if (state.status !== "authenticated") await session.refresh();
    if (state.status === "unknown") publish({ ...state, status: "anonymous" });
    return state;
  },

  /** On start-up (and on public pages): restore the session once, if there is a cookie. */
  async restore(): Promise<SessionState> {
    if (state.status === "unknown") {
      const token = await session.refresh();
      if (!token && state.status === "unknown") publish({ ...state, status: "anonymous" });
    }
    return state;
  },
};

async function refreshFromCookie(): Promise<string | null> {
  const { data, response } = await refreshAuthRefreshPost({ query: { refresh_cookie: true } });
  if (data && response?.ok) {
    session.begin(data);
    return data.access_token;
  }
  if (response && (response.status === 401 || response.status === 403)) {
    if (state.status === "authenticated") session.end("expired");
    else publish({ ...state, status: "anonymous" });
  }
  return null;
}
