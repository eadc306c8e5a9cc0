import { expect, test } from "@playwright/test";
import { createUser, login } from "./helpers";

const CUSTOMER = {
  sex: "Male",
  age: 40,
  annual_income: 30,
  spending_score: 20,
  purchase_frequency: 4,
};

test("API key: created → shown once → works from a script → revoked", async ({ page, request }) => {
  const user = await createUser(request);
  await login(page, user);
  await page.getByRole("link", { name: "API keys" }).first().click();
  await expect(page.getByText("No API keys")).toBeVisible();
  await page.getByLabel("Key name").fill("nightly-etl");
  await page.getByLabel("Daily quota (optional)").fill("5");
  await page.getByRole("button", { name: "Create key" }).click();
  const dialog = page.getByRole("dialog", { name: "Key “nightly-etl” created" });
  const key = await dialog.getByTestId("new-api-key").inputValue();
  expect(key).toMatch(/^seg_/);
  await expect(dialog.getByRole("button", { name: "Copy" })).toBeVisible();
  await dialog.getByRole("button", { name: "I saved it" }).click();

  // Shown once: the page never shows the secret again.
  await page.reload();
  await expect(page.getByTestId("api-key-row")).toHaveCount(1);
  expect(await page.content()).not.toContain(key);

  // It works as a script would use it (curl semantics: a plain HTTP request with the header).
  const answer = await request.post("/predict", { headers: { "X-API-Key": key }, data: CUSTOMER });
  expect(answer.status()).toBe(200);
  expect((await answer.json()).cluster_name).toBeTruthy();
  await page.reload();
  await expect(page.getByTestId("api-key-usage")).toHaveText("1 / 5");

  // Revoked: it stops working at once.
  await page.getByRole("button", { name: "Revoke nightly-etl" }).click();
  await page
    .getByRole("dialog", { name: "Revoke “nightly-etl”?" })
    .getByRole("button", { name: "Revoke" })
    .click();
  await expect(page.getByText("Revoked “nightly-etl”")).toBeVisible();
  const refused = await request.post("/predict", { headers: { "X-API-Key": key }, data: CUSTOMER });
  expect(refused.status()).toBe(401);
});
