import { expect, test } from "@playwright/test";
import { createUser, login } from "./helpers";

test("tokens: access token in memory only, refresh token in an HttpOnly SameSite=Strict cookie on /auth", async ({
  page,
  request,
  context,
}) => {
  const user = await createUser(request);
  await login(page, user);
  const cookies = await context.cookies();
  const refresh = cookies.find((c) => c.name === "seg_refresh");
  expect(refresh?.httpOnly).toBe(true);
  expect(refresh?.secure).toBe(true);
  expect(refresh?.sameSite).toBe("Strict");
  expect(refresh?.path).toBe("/auth");
  const exposed = await page.evaluate(() => ({
    cookie: document.cookie,
    local: JSON.stringify({ ...localStorage }),
    session: JSON.stringify({ ...sessionStorage }),
  }));
  expect(exposed.cookie).not.toContain("seg_refresh");
  expect(exposed.local).not.toMatch(/eyJ|token/i);
  expect(exposed.session).not.toMatch(/eyJ|token/i);
});

test("a 401 triggers one refresh (rotating the cookie) and the request is retried", async ({
  page,
  request,
  context,
}) => {
  const user = await createUser(request);
  await login(page, user);
  const before = (await context.cookies()).find((c) => c.name === "seg_refresh")?.value;
  // The next call is answered 401 as if the access token had expired.
  let refused = 0;
  await page.route("**/auth/api-keys", async (route) => {
    if (refused > 0) return route.continue();
    refused += 1;
    await route.fulfill({
      status: 401,
      json: { detail: "Token expired" },
      headers: { "WWW-Authenticate": "Bearer" },
    });
  });
  const refreshed = page.waitForResponse(
    (r) => r.url().endsWith("/auth/refresh?refresh_cookie=true") && r.status() === 200,
  );
  const retried = page.waitForResponse(
    (r) => r.url().endsWith("/auth/api-keys") && r.status() === 200,
  );
  await page.getByRole("link", { name: "API keys" }).first().click();
  await refreshed;
  await retried;
  await expect(page.getByText("No API keys")).toBeVisible();
  expect(refused).toBe(1);
  const after = (await context.cookies()).find((c) => c.name === "seg_refresh")?.value;
  expect(after).toBeTruthy();
  expect(after).not.toBe(before);
  await expect(page).toHaveURL(/\/ui\/api-keys/);
});

test("when the refresh fails too, the user goes to login and comes back to the same page", async ({
  page,
  request,
  context,
}) => {
  const user = await createUser(request);
  await login(page, user);
  await page.goto("/ui/history?min_confidence=10");
  await expect(page.getByRole("heading", { name: "Prediction history" })).toBeVisible();
  await context.clearCookies();
  await page.route("**/history?*", (route) =>
    route.fulfill({
      status: 401,
      json: { detail: "Token expired" },
      headers: { "WWW-Authenticate": "Bearer" },
    }),
  );
  await page.getByRole("button", { name: "Refresh" }).click();
  await expect(page).toHaveURL(/\/ui\/login\?redirect=/);
  await expect(page.getByText("Your session has ended")).toBeVisible();
  await page.unroute("**/history?*");
  await page.getByLabel("Username or email").fill(user.username);
  await page.getByLabel("Password").fill(user.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/ui\/history\?min_confidence=10/);
});

test("logout calls the API: the session's tokens stop working", async ({
  page,
  request,
  context,
}) => {
  const user = await createUser(request);
  await login(page, user);
  const token = (await context.cookies()).find((c) => c.name === "seg_refresh")?.value;
  const logout = page.waitForResponse((r) => r.url().endsWith("/auth/logout"));
  await page.getByRole("button", { name: "Log out" }).first().click();
  expect((await logout).status()).toBe(200);
  await expect(page).toHaveURL(/\/ui\/login/);
  await expect(page.getByText("You have been logged out")).toBeVisible();
  expect((await context.cookies()).find((c) => c.name === "seg_refresh")).toBeUndefined();
  const reuse = await request.post("/auth/refresh", {
    headers: { Cookie: `seg_refresh=${token}` },
  });
  expect(reuse.status()).toBe(401);
  await page.goto("/ui/dashboard");
  await expect(page).toHaveURL(/\/ui\/login/);
});

test("lockout: after 5 wrong passwords the login shows the wait from Retry-After", async ({
  page,
  request,
}) => {
  const user = await createUser(request);
  for (let i = 0; i < 5; i++) {
    const wrong = await request.post("/auth/login", {
      data: { username: user.username, password: "Wrong-pass-1" },
    });
    expect(wrong.status()).toBe(401);
  }
  await page.goto("/ui/login");
  await page.getByLabel("Username or email").fill(user.username);
  await page.getByLabel("Password").fill(user.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("alert")).toContainText(/locked: try again in \d+ minutes/);
});
