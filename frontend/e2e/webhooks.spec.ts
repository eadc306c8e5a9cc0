import { expect, test } from "@playwright/test";
import { ADMIN, apiToken, createUser, login } from "./helpers";

test.setTimeout(180_000);

test("webhook: created → secret shown once → deliveries with status → deleted", async ({
  page,
  request,
}) => {
  const analyst = await createUser(request, "analyst");
  await login(page, analyst);
  await page.getByRole("link", { name: "Webhooks" }).first().click();
  await expect(page.getByRole("heading", { name: "Webhooks", level: 1 })).toBeVisible();
  await expect(page.getByText("No webhooks")).toBeVisible();

  // Form validation: a URL and at least one event.
  await page.getByLabel("Receiver URL").fill("not a url");
  await expect(page.getByText("An http(s):// URL")).toBeVisible();
  // The test stack allows loopback receivers (WEBHOOK_ALLOW_PRIVATE=true); nothing listens
  // on port 9, so deliveries fail and are retried.
  await page.getByLabel("Receiver URL").fill("http://127.0.0.1:9/hook");
  await page.getByLabel(/Training succeeded/).uncheck();
  await page.getByLabel(/Model activated/).check();
  await page.getByLabel("Description (optional)").fill("CRM sync");
  await page.getByRole("button", { name: "Create webhook" }).click();
  const dialog = page.getByRole("dialog", { name: "Webhook created" });
  const secret = await dialog.getByTestId("new-webhook-secret").inputValue();
  expect(secret).toMatch(/^whsec_/);
  await expect(dialog.getByRole("button", { name: "Copy" })).toBeVisible();
  await dialog.getByRole("button", { name: "I saved it" }).click();

  // Shown once: never on the page again.
  await page.reload();
  await expect(page.getByTestId("webhook-row")).toHaveCount(1);
  await expect(page.getByTestId("webhook-row")).toContainText("model.activated");
  expect(await page.content()).not.toContain(secret);

  // An activation raises model.activated; its delivery shows up with its status.
  await page.getByRole("button", { name: "Deliveries of http://127.0.0.1:9/hook" }).click();
  await expect(page.getByText("Nothing delivered yet")).toBeVisible();
  const token = await apiToken(request, ADMIN.username, ADMIN.password);
  const headers = { Authorization: `Bearer ${token}` };
  const models = await (await request.get("/models", { headers })).json();
  const active = models.models.find((m: { active: boolean }) => m.active).version;
  expect((await request.post(`/models/${active}/activate`, { headers })).status()).toBe(200);
  const delivery = page.getByTestId("delivery-row").first();
  await expect(delivery).toContainText("model.activated", { timeout: 30_000 });
  await expect(delivery).toContainText(/pending|failed/);

  // Deleted: gone from the list.
  await page.getByRole("button", { name: "Delete http://127.0.0.1:9/hook" }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Delete" }).click();
  await expect(page.getByText("No webhooks")).toBeVisible();
});

test("models: the segment report downloads as Excel and as PDF", async ({ page, request }) => {
  const analyst = await createUser(request, "analyst");
  await login(page, analyst);
  await page.goto("/ui/models");
  await expect(page.getByTestId("model-row").first()).toBeVisible();
  await expect(page.getByLabel("Report on version")).toHaveValue(/^v\d+-/);
  for (const [button, extension] of [
    ["Download report (Excel)", "xlsx"],
    ["Download report (PDF)", "pdf"],
  ]) {
    const download = page.waitForEvent("download");
    await page.getByRole("button", { name: button }).click();
    expect((await download).suggestedFilename()).toMatch(
      new RegExp(`^segments-v\\d+-\\w+\\.${extension}$`),
    );
  }
});
