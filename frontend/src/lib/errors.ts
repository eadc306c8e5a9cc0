/** Errors from the API, with the status and the `detail` the API sent. */

export type ValidationItem = { loc: (string | number)[]; msg: string; type?: string };

export class ApiError extends Error {
  readonly status: number;
  readonly detail: unknown;
  readonly retryAfter: number | null;

  constructor(status: number, body: unknown, headers?: Headers) {
    const detail =
      body && typeof body === "object" && "detail" in body
        ? (body as { detail: unknown }).detail
        : body;
    super(describeDetail(status, detail));
    this.name = "ApiError";
    this.status = status;
    this.detail = detail;
    const retry = headers?.get("Retry-After");
    this.retryAfter = retry && /^\d+$/.test(retry) ? Number(retry) : null;
  }

  /** Per-field messages of a 422 (the last element of each `loc`). */
  get fieldErrors(): Record<string, string> {
    if (!Array.isArray(this.detail)) return {};
    const fields: Record<string, string> = {};
    for (const item of this.detail as ValidationItem[]) {
      const field = item.loc?.[item.loc.length - 1];
      if (field !== undefined && !(String(field) in fields)) {
        fields[String(field)] = cleanMessage(item.msg);
      }
    }
    return fields;
  }
}

function cleanMessage(msg: string): string {
  return msg.replace(/^Value error, /, "");
}

function describeDetail(status: number, detail: unknown): string {
  if (typeof detail === "string" && detail) return detail;
  if (Array.isArray(detail)) {
    return (detail as ValidationItem[])
      .map((item) => {
        const field = item.loc?.filter((p) => p !== "body" && p !== "query").join(".");
        return field ? `${field}: ${cleanMessage(item.msg)}` : cleanMessage(item.msg);
      })
      .join("; ");
  }
  if (status === 0) return "The server could not be reached. Check your connection and retry.";
  return `The server answered ${status}`;
}

/** A message for any thrown value, fit to show the user. */
export function errorMessage(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  if (error instanceof Error) return error.message;
  return "Something went wrong";
}

/** "14 minutes" / "45 seconds" for a Retry-After value. */
export function formatWait(seconds: number): string {
  if (seconds >= 90) {
    const minutes = Math.ceil(seconds / 60);
    return `${minutes} minute${minutes === 1 ? "" : "s"}`;
  }
  return `${seconds} second${seconds === 1 ? "" : "s"}`;
}
