import { expect, test } from "@playwright/test";
import { ADMIN, createUser, login } from "./helpers";

test("admin changes a role: the user's navigation changes on their next action; deactivation sends them to login", async ({
  browser,
  request,
}) => {
  const user = await createUser(request);
  const userContext = await browser.newContext();
  const userPage = await userContext.newPage();
  await login(userPage, user);
  await expect(userPage.getByRole("link", { name: "Models" })).toHaveCount(0);

  const adminContext = await browser.newContext();
  const adminPage = await adminContext.newPage();
  await login(adminPage, ADMIN);
  await adminPage.getByRole("link", { name: "Admin" }).first().click();
  await adminPage.getByLabel("Search users").fill(user.username);
  const row = adminPage.getByTestId("user-row").filter({ hasText: user.username });
  await expect(row).toHaveCount(1);
  await expect(adminPage.getByTestId("user-row")).toHaveCount(1);
  await row.getByLabel(`Role of ${user.username}`).selectOption("analyst");
  await expect(adminPage.getByText(`${user.username} is now analyst`)).toBeVisible();

  // The user's next action (any navigation) shows the analyst's navigation.
  await userPage.getByRole("link", { name: "History" }).first().click();
  await expect(userPage.getByRole("link", { name: "Models" })).toBeVisible();
  await expect(userPage.locator("aside").getByTestId("current-role")).toHaveText("analyst");

  // Self-protection errors from the API are shown.
  await adminPage.getByLabel("Search users").fill(ADMIN.username);
  const self = adminPage.getByTestId("user-row").filter({ hasText: "you" });
  await expect(self).toHaveCount(1);
  await self.getByRole("button", { name: `Deactivate ${ADMIN.username}` }).click();
  await expect(adminPage.getByText("You cannot deactivate yourself")).toBeVisible();

  // Deactivation: the user's next action lands on the login page.
  await adminPage.getByLabel("Search users").fill(user.username);
  await adminPage.getByRole("button", { name: `Deactivate ${user.username}` }).click();
  await expect(adminPage.getByText(`${user.username} is deactivated`)).toBeVisible();
  await userPage.getByRole("link", { name: "Profiles" }).first().click();
  await expect(userPage).toHaveURL(/\/ui\/login/);
  await expect(userPage.getByText("Your session has ended")).toBeVisible();
  await userPage.getByLabel("Username or email").fill(user.username);
  await userPage.getByLabel("Password").fill(user.password);
  await userPage.getByRole("button", { name: "Sign in" }).click();
  await expect(userPage.getByText("This account is deactivated")).toBeVisible();

  // Statistics and the audit log show what happened.
  await adminPage.getByRole("link", { name: "Platform statistics" }).click();
  await expect(adminPage.getByTestId("stat-users")).not.toHaveText("0");
  await expect(
    adminPage.locator('[data-chart="Predictions over time"] svg.recharts-surface'),
  ).toBeVisible();
  await adminPage.getByLabel("Per").selectOption("week");
  await expect(adminPage).toHaveURL(/bucket=week/);
  await adminPage.getByRole("link", { name: "Audit log" }).click();
  await expect(adminPage.getByText("user deactivated").first()).toBeVisible();
  await expect(adminPage.getByText("role change").first()).toBeVisible();
  await userContext.close();
  await adminContext.close();
});
