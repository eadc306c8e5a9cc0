import { expect, test } from "@playwright/test";
import { createUser, login } from "./helpers";

test("settings: edit details, change password (current password required), theme, delete account", async ({
  page,
  request,
}) => {
  const user = await createUser(request);
  await login(page, user);
  await page.getByRole("link", { name: "Settings" }).first().click();

  await page.getByLabel("Full name").fill("Ann Analyst");
  await page.getByRole("button", { name: "Save details" }).click();
  await expect(page.getByText("Your details were saved")).toBeVisible();
  await expect(page.locator("aside").getByTestId("current-user")).toHaveText("Ann Analyst");

  // A wrong current password is refused by the API, and its detail is shown.
  const newPassword = `${user.password}-new2`;
  await page.getByLabel("Current password").fill("Not-my-password-1");
  await page.getByLabel("New password", { exact: true }).fill(newPassword);
  await page.getByLabel("Confirm new password").fill(newPassword);
  await page.getByRole("button", { name: "Change password" }).click();
  await expect(page.getByRole("alert").filter({ hasText: /password/i })).toBeVisible();
  await page.getByLabel("Current password").fill(user.password);
  await page.getByRole("button", { name: "Change password" }).click();
  await expect(page.getByText("Password changed")).toBeVisible();
  const login2 = await request.post("/auth/login", {
    data: { username: user.username, password: newPassword },
  });
  expect(login2.status()).toBe(200);

  // The theme choice applies at once and is kept in this browser.
  await page.getByText("Dark", { exact: true }).click();
  await expect(page.locator("html")).toHaveClass(/dark/);
  await page.getByText("Light", { exact: true }).click();
  await expect(page.locator("html")).not.toHaveClass(/dark/);

  await page.getByRole("button", { name: "Delete my account" }).click();
  const dialog = page.getByRole("dialog", { name: "Delete your account?" });
  await expect(dialog.getByRole("button", { name: "Delete my account" })).toBeDisabled();
  await dialog.getByLabel(/Type .* to confirm/).fill(user.username);
  await dialog.getByRole("button", { name: "Delete my account" }).click();
  await expect(page).toHaveURL(/\/ui\/login/);
  await expect(page.getByText("Your account has been deleted")).toBeVisible();
  const gone = await request.post("/auth/login", {
    data: { username: user.username, password: newPassword },
  });
  expect(gone.status()).toBe(401);
});
