import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { loginAuthLoginPost, meAuthMeGet, type TokenPair } from "@/client";
import { configureApi, withSession } from "./api";
import { ApiError } from "./errors";
import { session } from "./session";

const ORIGIN = "http://console.test";
const USER = {
  id: 7,
  email: "ann@example.com",
  username: "ann",
  full_name: "Ann",
  role: "user" as const,
  is_active: true,
  created_at: "2026-01-01T00:00:00Z",
};

function pair(token: string, role: "user" | "analyst" = "user"): TokenPair {
  return {
    access_token: token,
    token_type: "bearer",
    expires_in: 1800,
    refresh_token: null,
    user: { ...USER, role },
  };
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), {
    status,
    headers: { "Content-Type": "application/json", ...headers },
  });

/** A fake API: records every request and answers from `handler`. */
function fakeApi(handler: (request: Request, calls: Request[]) => Response | Promise<Response>) {
  const calls: Request[] = [];
  const fetchMock = vi.fn(async (request: Request) => {
    calls.push(request.clone());
    return handler(request, calls);
  });
  vi.stubGlobal("fetch", fetchMock);
  return calls;
}

const path = (request: Request) => new URL(request.url).pathname + new URL(request.url).search;

describe("the session-aware client", () => {
  beforeEach(() => {
    configureApi(ORIGIN);
    session.end("logged_out");
  });
  afterEach(() => vi.unstubAllGlobals());

  it("sends the in-memory access token as a bearer token", async () => {
    const calls = fakeApi(() => json(200, USER));
    session.begin(pair("token-1"));
    const { data } = await meAuthMeGet({ throwOnError: true });
    expect(data.username).toBe("ann");
    expect(calls[0]?.headers.get("Authorization")).toBe("Bearer token-1");
  });

  it("refreshes once on a 401 and retries with the new token", async () => {
    const calls = fakeApi((request) => {
      if (path(request) === "/auth/refresh?refresh_cookie=true")
        return json(200, pair("token-2", "analyst"));
      return request.headers.get("Authorization") === "Bearer token-2"
        ? json(200, USER)
        : json(401, { detail: "Token expired" });
    });
    session.begin(pair("token-1"));
    const { data } = await meAuthMeGet({ throwOnError: true });
    expect(data.id).toBe(7);
    expect(calls.map(path)).toEqual(["/auth/me", "/auth/refresh?refresh_cookie=true", "/auth/me"]);
    expect(session.token()).toBe("token-2");
    // The refreshed pair carries the current role: the navigation follows it.
    expect(session.getState().user?.role).toBe("analyst");
  });

  it("many 401s at once share one refresh", async () => {
    const calls = fakeApi(async (request) => {
      if (path(request).startsWith("/auth/refresh")) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        return json(200, pair("token-2"));
      }
      return request.headers.get("Authorization") === "Bearer token-2"
        ? json(200, USER)
        : json(401, { detail: "expired" });
    });
    session.begin(pair("token-1"));
    await Promise.all([meAuthMeGet(), meAuthMeGet(), meAuthMeGet()]);
    expect(calls.filter((r) => path(r).startsWith("/auth/refresh"))).toHaveLength(1);
  });

  it("ends the session when the refresh is refused, and tells whoever listens", async () => {
    fakeApi((request) =>
      json(401, {
        detail: path(request).startsWith("/auth/refresh") ? "Invalid refresh token" : "expired",
      }),
    );
    const ended = vi.fn();
    const stop = session.onEnd(ended);
    session.begin(pair("token-1"));
    await expect(meAuthMeGet({ throwOnError: true })).rejects.toBeInstanceOf(ApiError);
    expect(session.getState().status).toBe("anonymous");
    expect(session.token()).toBeNull();
    expect(ended).toHaveBeenCalledWith("expired");
    stop();
  });

  it("never refreshes for the session's own calls (a wrong password is just 401)", async () => {
    const calls = fakeApi(() =>
      json(401, { detail: "Incorrect username or password" }, { "WWW-Authenticate": "Bearer" }),
    );
    const error = await loginAuthLoginPost({
      body: { username: "ann", password: "x" },
      throwOnError: true,
    }).catch((e) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error.status).toBe(401);
    expect(error.message).toBe("Incorrect username or password");
    expect(calls).toHaveLength(1);
  });

  it("restores a session from the refresh cookie before a signed-in page", async () => {
    fakeApi(() => json(200, pair("token-9")));
    const state = await session.ensure();
    expect(state.status).toBe("authenticated");
    expect(session.token()).toBe("token-9");
  });

  it("stays anonymous without a refresh cookie", async () => {
    const calls = fakeApi(() => json(401, { detail: "Missing refresh token" }));
    const state = await session.ensure();
    expect(state.status).toBe("anonymous");
    expect(calls.map(path)).toEqual(["/auth/refresh?refresh_cookie=true"]);
  });

  it("a slow /auth/me never overwrites a user updated meanwhile", async () => {
    let answer: (response: Response) => void = () => {};
    fakeApi(
      () =>
        new Promise<Response>((resolve) => {
          answer = resolve;
        }),
    );
    session.begin(pair("token-1"));
    const pending = session.revalidate();
    await vi.waitFor(() => expect(fetch).toHaveBeenCalled());
    session.updateUser({ ...USER, full_name: "Ann Edited" });
    answer(json(200, { ...USER, full_name: "Ann (stale)" }));
    await pending;
    expect(session.getState().user?.full_name).toBe("Ann Edited");
  });

  it("withSession passes other answers through untouched", async () => {
    const send = vi.fn(async () => json(503, { detail: "ml service unavailable" }));
    const response = await withSession(new Request(`${ORIGIN}/predict`, { method: "POST" }), send);
    expect(response.status).toBe(503);
    expect(send).toHaveBeenCalledTimes(1);
  });
});
