import { join } from "node:path";
import { expect, type Page, test } from "@playwright/test";
import { ARTIFACTS, createUser, login, seriousViolations } from "./helpers";

test.setTimeout(300_000);

async function openModels(page: Page) {
  await page.getByRole("link", { name: "Models" }).first().click();
  await expect(page.getByRole("heading", { name: "Models", level: 1 })).toBeVisible();
  await expect(page.getByTestId("model-row").first()).toBeVisible();
}

test("analyst: compare algorithms → train the recommended model → explanation, projection, drift", async ({
  page,
  request,
}) => {
  const analyst = await createUser(request, "analyst");
  await login(page, analyst);
  await openModels(page);

  // Compare k-means and the Gaussian mixture on income and spending, k = 2..5.
  const compare = page.getByRole("form", { name: "Compare models" });
  await compare.getByLabel("Age").uncheck();
  await compare.getByLabel("Purchase frequency").uncheck();
  await compare.getByLabel("Agglomerative (Ward)").uncheck();
  await compare.getByLabel("Compare from k").fill("2");
  await compare.getByLabel("Compare up to k").fill("5");
  await compare.getByLabel("Spending score").uncheck();
  await expect(compare.getByText("Choose at least 2 features")).toBeVisible();
  await expect(compare.getByRole("button", { name: "Compare" })).toBeDisabled();
  await compare.getByLabel("Spending score").check();
  await compare.getByRole("button", { name: "Compare" }).click();

  const comparison = page.getByTestId("comparison");
  await expect(comparison).toBeVisible({ timeout: 180_000 });
  // Two algorithms x four k, once in the visible table (the chart's table is folded).
  await expect(comparison.getByTestId("candidate-row").filter({ visible: true })).toHaveCount(8);
  await expect(
    comparison.getByText("recommended", { exact: true }).filter({ visible: true }).first(),
  ).toBeVisible();
  const chart = page.locator('[data-chart="Silhouette per k and algorithm"]');
  await expect(chart.locator("svg.recharts-surface")).toBeVisible();
  await expect(chart.locator(".recharts-line")).toHaveCount(2);
  const recommended = (await comparison.getByText(/^Recommended: /).textContent()) ?? "";
  const k = Number(recommended.match(/k = (\d+)/)?.[1]);

  // Train it: a new active version with the recommended k on the two features.
  await comparison.getByRole("button", { name: "Train recommended" }).click();
  const trained = page.getByTestId("trained-recommended");
  await expect(trained).toBeVisible({ timeout: 180_000 });
  const version = (await trained.textContent())?.match(/Version (v\S+) is live/)?.[1] ?? "";
  const row = page.getByTestId("model-row").filter({ hasText: version });
  await expect(row).toContainText("Active");
  await expect(row.locator("td").nth(3)).toHaveText(String(k));

  // The explanation of the active version: one row per segment, centroids on the two
  // features, importance bars for both, the projection with points and centroids.
  const explanation = page.getByRole("region", { name: `Explanation of ${version}` });
  await expect(explanation.getByTestId("explained-cluster")).toHaveCount(k);
  await expect(explanation.getByRole("columnheader", { name: "Annual income" })).toBeVisible();
  await expect(explanation.getByRole("columnheader", { name: "Age" })).toHaveCount(0);
  const importance = page.locator('[data-chart="Feature importance"] .recharts-bar-rectangle');
  await expect(importance).toHaveCount(2);
  const projection = page.locator(
    '[data-chart="Customers projected on two principal components"] .recharts-symbols',
  );
  await expect(projection.first()).toBeVisible();
  // Drift badges: a fresh version has too few predictions to judge.
  await expect(row.getByTestId("drift-badge")).toHaveText("too few predictions");

  // Any other version can be explained from the list.
  const other = page.getByTestId("model-row").filter({ hasNotText: version }).first();
  const otherVersion = (await other.locator("td").first().textContent())?.trim() ?? "";
  await other.getByRole("button", { name: `Explain ${otherVersion}` }).click();
  await expect(page.getByRole("region", { name: `Explanation of ${otherVersion}` })).toBeVisible();

  // Screenshots at desktop and phone size (looked at by hand), no serious axe findings.
  for (const size of [
    { label: "desktop", viewport: { width: 1440, height: 900 } },
    { label: "mobile", viewport: { width: 390, height: 844 } },
  ]) {
    await page.setViewportSize(size.viewport);
    await page.waitForTimeout(400);
    await page.screenshot({
      path: join(ARTIFACTS, "screenshots", `models-analytics-${size.label}.png`),
      fullPage: true,
    });
    expect(await seriousViolations(page)).toEqual([]);
    const [scrollWidth = 0, viewport = 0] = await page.evaluate(() => [
      document.documentElement.scrollWidth,
      window.innerWidth,
    ]);
    expect(scrollWidth).toBeLessThanOrEqual(viewport);
  }
});
