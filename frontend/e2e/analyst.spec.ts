import { join } from "node:path";
import { expect, test } from "@playwright/test";
import { ADMIN, createUser, login } from "./helpers";

test.setTimeout(180_000);

test("analyst: upload Mall Customers → train job to 100 % → new version → charts with data", async ({
  page,
  request,
}) => {
  const analyst = await createUser(request, "analyst");
  await login(page, analyst);
  await expect(page.getByRole("link", { name: "Models" })).toBeVisible();
  await page.getByRole("link", { name: "Models" }).first().click();
  await expect(page.getByRole("heading", { name: "Models", level: 1 })).toBeVisible();
  // count() does not wait: let the versions list load first (the first-start model is there).
  await expect(page.getByTestId("model-row").first()).toBeVisible();
  const versionsBefore = await page.getByTestId("model-row").count();

  // The public Mall Customers file, as published (no purchase frequency: filled with 12).
  await page
    .getByLabel("Dataset CSV")
    .setInputFiles(join(import.meta.dirname, "fixtures", "Mall_Customers.csv"));
  const name = `mall-${Date.now().toString(36)}`;
  await page.getByLabel("Name (optional)").fill(name);
  await page.getByRole("button", { name: "Upload dataset" }).click();
  await expect(page.getByText(`“${name}”: 200 rows accepted, 0 refused`)).toBeVisible();
  const datasetRow = page.getByTestId("dataset-row").filter({ hasText: name });
  await expect(datasetRow).toHaveCount(1);
  const datasetId = (await datasetRow.locator("td").first().textContent())?.trim();

  // Train on it as a job; the progress bar reaches 100 %.
  await page
    .getByLabel("Dataset", { exact: true })
    .selectOption({ label: `#${datasetId} ${name} (200 rows)` });
  await page.getByLabel("Smallest k").fill("2");
  await page.getByLabel("Largest k").fill("8");
  await page.getByRole("button", { name: "Start training" }).click();
  await expect(page.getByTestId("job-status")).toHaveText("succeeded", { timeout: 120_000 });
  await expect(page.getByTestId("job-progress")).toHaveText("100 %");
  await expect(page.getByRole("progressbar", { name: "Training progress" })).toHaveAttribute(
    "aria-valuenow",
    "100",
  );
  const live = page.getByText(/Version v\S+ is live/);
  await expect(live).toBeVisible();
  const version = (await live.textContent())?.match(/Version (v\S+) is live/)?.[1] ?? "";

  // The new version is listed and active.
  await expect(page.getByTestId("model-row")).toHaveCount(versionsBefore + 1);
  const newRow = page.getByTestId("model-row").filter({ hasText: version });
  await expect(newRow).toContainText("Active");

  // Elbow and silhouette charts render as SVG with one point per k (2..8), chosen k marked.
  for (const title of ["Elbow curve", "Silhouette score per k"]) {
    const chart = page.locator(`[data-chart="${title}"]`);
    await expect(chart.locator("svg.recharts-surface")).toBeVisible();
    await expect(chart.locator(".recharts-line-dots circle")).toHaveCount(7);
    await expect(chart.getByText(/chosen k = \d+/)).toBeVisible();
  }
  // The cluster profiles describe the new model's segments.
  const clusters = Number((await newRow.locator("td").nth(3).textContent())?.trim());
  await expect(page.getByText(`customers in ${clusters} segments`)).toBeVisible();

  // The dashboard's distribution chart has one bar per segment of the new model.
  await page.getByRole("link", { name: "Dashboard" }).first().click();
  await expect(page.getByTestId("kpi-model")).toHaveText(version);
  const bars = page.locator('[data-chart="Cluster distribution"] .recharts-bar-rectangle');
  await expect(bars).toHaveCount(clusters);
  await expect(
    page.locator(
      '[data-chart="Income and spending of predicted customers by segment"] .recharts-symbols',
    ),
  ).not.toHaveCount(0);
});

test("admin: roll back to an earlier version, with confirmation", async ({ page }) => {
  await login(page, ADMIN);
  await page.getByRole("link", { name: "Models" }).first().click();
  const inactive = page
    .getByTestId("model-row")
    .filter({ has: page.getByRole("button", { name: "Activate" }) });
  await expect(inactive.first()).toBeVisible();
  const version = (await inactive.last().locator("td").first().textContent())?.trim() ?? "";
  await inactive.last().getByRole("button", { name: "Activate" }).click();
  const dialog = page.getByRole("dialog", { name: `Activate ${version}?` });
  await dialog.getByRole("button", { name: "Activate" }).click();
  await expect(page.getByText(`Version ${version} is now live`)).toBeVisible();
  await expect(page.getByTestId("model-row").filter({ hasText: version })).toContainText("Active");
});

test("a user has no Models page", async ({ page, request }) => {
  const user = await createUser(request);
  await login(page, user);
  await expect(page.getByRole("link", { name: "Dashboard" }).first()).toBeVisible();
  await expect(page.getByRole("link", { name: "Models" })).toHaveCount(0);
  await page.goto("/ui/models");
  await expect(page).toHaveURL(/\/ui\/dashboard/);
});
