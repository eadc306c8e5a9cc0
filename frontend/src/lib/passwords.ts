/** The API's account rules (API.md: usernames and passwords), checked as the user types. */

export const USERNAME_RULE = /^[A-Za-z0-9_.-]{3,50}$/;
// A practical check; the API has the last word on email syntax.
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export interface PasswordCheck {
  label: string;
  ok: boolean;
}

export function passwordChecks(password: string): PasswordCheck[] {
  return [
    { label: "8 to 128 characters", ok: password.length >= 8 && password.length <= 128 },
    { label: "At least one letter", ok: /[A-Za-z]/.test(password) },
    { label: "At least one digit", ok: /\d/.test(password) },
  ];
}

export function passwordError(password: string): string | undefined {
  if (!password) return "Required";
  const failed = passwordChecks(password).find((check) => !check.ok);
  return failed ? `Needs ${failed.label.toLowerCase()}` : undefined;
}

export function usernameError(username: string): string | undefined {
  if (!username) return "Required";
  return USERNAME_RULE.test(username)
    ? undefined
    : "3 to 50 characters: letters, digits, '_', '.' or '-'";
}

export function emailError(email: string): string | undefined {
  if (!email) return "Required";
  return EMAIL.test(email) ? undefined : "Enter a valid email address";
}
