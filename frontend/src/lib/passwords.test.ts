import { describe, expect, it } from "vitest";
import { emailError, passwordChecks, passwordError, usernameError } from "./passwords";

describe("account rules", () => {
  it("checks passwords like the API: 8..128 with a letter and a digit", () => {
    expect(passwordError("")).toBe("Required");
    expect(passwordError("short1")).toBe("Needs 8 to 128 characters");
    expect(passwordError("lettersonly")).toBe("Needs at least one digit");
    expect(passwordError("12345678")).toBe("Needs at least one letter");
    expect(passwordError("Passw0rd-1")).toBeUndefined();
    expect(passwordChecks("a1").map((c) => c.ok)).toEqual([false, true, true]);
  });

  it("checks usernames and emails", () => {
    expect(usernameError("ab")).toMatch(/3 to 50/);
    expect(usernameError("ann.lee-2")).toBeUndefined();
    expect(usernameError("ann lee")).toMatch(/letters, digits/);
    expect(emailError("ann@example")).toBe("Enter a valid email address");
    expect(emailError("ann@example.com")).toBeUndefined();
  });
});
