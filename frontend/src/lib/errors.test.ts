import { describe, expect, it } from "vitest";
import { ApiError, errorMessage, formatWait } from "./errors";

describe("ApiError", () => {
  it("keeps a string detail as the message", () => {
    const error = new ApiError(409, { detail: "Email already registered" });
    expect(error.message).toBe("Email already registered");
    expect(error.status).toBe(409);
  });

  it("turns a 422 list into field messages", () => {
    const error = new ApiError(422, {
      detail: [
        {
          loc: ["body", "password"],
          msg: "Value error, Password must contain at least one letter and one digit",
          type: "value_error",
        },
        {
          loc: ["body", "age"],
          msg: "Input should be greater than or equal to 18",
          type: "greater_than_equal",
        },
      ],
    });
    expect(error.fieldErrors).toEqual({
      password: "Password must contain at least one letter and one digit",
      age: "Input should be greater than or equal to 18",
    });
    expect(error.message).toContain("password: Password must contain");
  });

  it("reads Retry-After in whole seconds", () => {
    const error = new ApiError(
      429,
      { detail: "Too many failed logins" },
      new Headers({ "Retry-After": "840" }),
    );
    expect(error.retryAfter).toBe(840);
    expect(formatWait(840)).toBe("14 minutes");
    expect(formatWait(45)).toBe("45 seconds");
    expect(formatWait(1)).toBe("1 second");
  });

  it("says when the server could not be reached", () => {
    expect(new ApiError(0, {}).message).toMatch(/could not be reached/);
    expect(errorMessage(new Error("boom"))).toBe("boom");
    expect(errorMessage("?")).toBe("Something went wrong");
  });
});
