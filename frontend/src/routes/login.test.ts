import { describe, expect, it } from "vitest";
import { ApiError } from "@/lib/errors";
import { loginFailure } from "./login";

describe("login failures", () => {
  it("shows the lockout wait from Retry-After", () => {
    const locked = new ApiError(
      429,
      { detail: "Too many failed login attempts" },
      new Headers({ "Retry-After": "900" }),
    );
    expect(loginFailure(locked)).toBe(
      "Too many attempts. This account is locked: try again in 15 minutes.",
    );
  });

  it("names wrong credentials and deactivated accounts", () => {
    expect(loginFailure(new ApiError(401, { detail: "Incorrect username or password" }))).toBe(
      "Incorrect username or password.",
    );
    expect(loginFailure(new ApiError(403, { detail: "Inactive user" }))).toMatch(/deactivated/);
    expect(loginFailure(new ApiError(503, { detail: "auth service unavailable" }))).toBe(
      "auth service unavailable",
    );
  });
});
