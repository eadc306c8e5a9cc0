/** The generated client, wired to the session: bearer token, one refresh on 401, errors. */
import { client } from "@/client/client.gen";
import { ApiError } from "./errors";
import { session } from "./session";

// Calls that must never trigger a refresh (they are the session's own).
const SESSION_CALLS = /\/auth\/(login|refresh|register|logout)$/;

type Send = (request: Request) => Promise<Response>;

/** `send` in the shape of `fetch`, as the generated client expects it. */
function asFetch(send: Send): typeof fetch {
  return (input: RequestInfo | URL, init?: RequestInit) =>
    send(input instanceof Request ? input : new Request(input, init));
}

/**
 * Sends `request`; on a 401 refreshes the session once and retries with the new token.
 * When the retry is refused too the session ends (the user goes to login).
 */
export async function withSession(request: Request, send: Send): Promise<Response> {
  if (SESSION_CALLS.test(new URL(request.url).pathname)) return send(request);
  const spare = request.clone();
  const response = await send(request);
  if (response.status !== 401) return response;
  const token = await session.refresh();
  if (!token) {
    if (session.getState().status === "authenticated") session.end("expired");
    return response;
  }
  spare.headers.set("Authorization", `Bearer ${token}`);
  const retried = await send(spare);
  if (retried.status === 401) session.end("expired");
  return retried;
}

export function configureApi(baseUrl: string = window.location.origin): void {
  client.setConfig({
    baseUrl,
    auth: () => session.token() ?? undefined,
    fetch: asFetch((request) => withSession(request, (r) => globalThis.fetch(r))),
  });
  client.interceptors.error.use(
    (error, response) => new ApiError(response?.status ?? 0, error, response?.headers),
  );
}

/**
 * A transport for uploads: XMLHttpRequest streams `body` (a File stays on disk) and
 * reports upload progress, which fetch can't. URL, method and headers (the bearer
 * token, Accept) come from the generated SDK's request.
 */
export function uploadTransport(
  body: XMLHttpRequestBodyInit,
  onProgress: (fraction: number) => void,
): typeof fetch {
  const send: Send = (request) =>
    new Promise<Response>((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open(request.method, request.url);
      request.headers.forEach((value, name) => {
        if (name.toLowerCase() !== "content-type") xhr.setRequestHeader(name, value);
      });
      xhr.responseType = "blob";
      xhr.upload.onprogress = (event) => {
        if (event.lengthComputable) onProgress(event.loaded / event.total);
      };
      xhr.onload = () => {
        const headers = new Headers();
        for (const line of xhr
          .getAllResponseHeaders()
          .trim()
          .split(/[\r\n]+/)) {
          const at = line.indexOf(":");
          if (at > 0) headers.append(line.slice(0, at).trim(), line.slice(at + 1).trim());
        }
        onProgress(1);
        resolve(new Response(xhr.response as Blob, { status: xhr.status, headers }));
      };
      xhr.onerror = () => reject(new TypeError("Network error during upload"));
      xhr.onabort = () => reject(new DOMException("Upload cancelled", "AbortError"));
      request.signal?.addEventListener("abort", () => xhr.abort());
      xhr.send(body);
    });
  return asFetch((request) => withSession(request, send));
}
