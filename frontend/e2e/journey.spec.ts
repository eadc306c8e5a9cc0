import { readFileSync } from "node:fs";
import { expect, test } from "@playwright/test";
import { fillCustomer, login } from "./helpers";

const CUSTOMER = {
  sex: "Female",
  age: 31,
  annual_income: 72,
  spending_score: 81,
  purchase_frequency: 24,
};

test("register → login → predict → history → save as profile → quick predict → export CSV", async ({
  page,
}) => {
  const suffix = Date.now().toString(36);
  const username = `journey_${suffix}`;
  const password = `Journey-${suffix}1`;

  // Register, with validation as the user types.
  await page.goto("/ui/register");
  await page.getByLabel("Email").fill("not-an-email");
  await expect(page.getByText("Enter a valid email address")).toBeVisible();
  await page.getByLabel("Email").fill(`${username}@example.com`);
  await page.getByLabel("Username").fill("x!");
  await expect(page.getByText("3 to 50 characters: letters, digits")).toBeVisible();
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Password", { exact: true }).fill("letters-only");
  await expect(page.getByText("Needs at least one digit")).toBeVisible();
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByLabel("Confirm password").fill(password);
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page.getByText("Your account is ready")).toBeVisible();

  // A duplicate registration answers 409, shown on the field.
  await page.goto("/ui/register");
  await page.getByLabel("Email").fill(`other_${suffix}@example.com`);
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByLabel("Confirm password").fill(password);
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page.getByText("Username already taken")).toBeVisible();

  await login(page, { username, password });

  // Predict: out-of-range input is refused in place, then a valid customer is predicted.
  await page.getByLabel("Age").fill("12");
  await expect(page.getByText("Between 18 and 100")).toBeVisible();
  await fillCustomer(page, CUSTOMER);
  await page.getByRole("button", { name: "Predict segment" }).click();
  const result = page.getByTestId("prediction-result");
  await expect(result).toBeVisible();
  const segment = (await result.getByTestId("segment-name").textContent())?.trim() ?? "";
  expect(segment.length).toBeGreaterThan(0);
  await expect(result.getByText("What sets this segment apart")).toBeVisible();

  // The prediction is in History within a second of its answer.
  await page.getByRole("link", { name: "History" }).first().click();
  await expect(async () => {
    const row = page.getByTestId("history-row").first();
    if (!(await row.isVisible())) await page.getByRole("button", { name: "Refresh" }).click();
    await expect(row).toContainText(segment, { timeout: 150 });
  }).toPass({ timeout: 1000 });

  // Save it as a profile, from the dashboard's result card.
  await page.getByRole("link", { name: "Dashboard" }).first().click();
  await fillCustomer(page, CUSTOMER);
  await page.getByRole("button", { name: "Predict segment" }).click();
  await page.getByRole("button", { name: "Save as profile" }).click();
  await page.getByLabel("Profile name").fill("Jane from the fair");
  await page.getByLabel("Notes (optional)").fill("Met at the trade fair");
  await page.getByRole("button", { name: "Save profile" }).click();
  await expect(page.getByText("Saved profile “Jane from the fair”")).toBeVisible();

  // Quick predict from the profile list.
  await page.getByRole("link", { name: "Profiles" }).first().click();
  await expect(page.getByTestId("profile-row")).toHaveCount(1);
  await page.getByRole("button", { name: "Predict Jane from the fair" }).click();
  const dialog = page.getByRole("dialog", { name: /Prediction for/ });
  await expect(dialog.getByTestId("segment-name")).toHaveText(segment);
  await dialog.getByRole("button", { name: "Close" }).click();

  // Load the profile into the predict form.
  await page.getByRole("button", { name: "Load Jane from the fair into the predict form" }).click();
  await expect(page.getByText("Loaded profile")).toBeVisible();
  await expect(page.getByLabel("Annual income (k/yr)")).toHaveValue("72");

  // Export the history as CSV and check its content: 3 predictions of this customer.
  await page.getByRole("link", { name: "History" }).first().click();
  await expect(page.getByTestId("history-row")).toHaveCount(3);
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.getByRole("button", { name: "Export CSV" }).click(),
  ]);
  const csv = readFileSync((await download.path()) ?? "", "utf8")
    .trim()
    .split(/\r?\n/);
  const header = csv[0]?.split(",") ?? [];
  for (const column of [
    "id",
    "created_at",
    "cluster",
    "cluster_name",
    "confidence",
    "sex",
    "age",
    "annual_income",
  ]) {
    expect(header).toContain(column);
  }
  expect(csv).toHaveLength(4);
  const row = Object.fromEntries(header.map((h, i) => [h, csv[1]?.split(",")[i]]));
  expect(row.cluster_name).toBe(segment);
  expect(row.sex).toBe("Female");
  expect(Number(row.annual_income)).toBe(72);
  // Filters travel in the address and apply to the table.
  await page.getByLabel("Minimum confidence (%)").fill("100.0");
  await page.getByLabel("Minimum confidence (%)").press("Enter");
  await expect(page).toHaveURL(/min_confidence=100/);
  await expect(page.getByText("No prediction matches these filters")).toBeVisible();
});

test("profiles: create with validation, edit, delete with confirmation", async ({
  page,
  request,
}) => {
  const { createUser } = await import("./helpers");
  const user = await createUser(request);
  await login(page, user);
  await page.goto("/ui/profiles");
  await expect(page.getByText("No profiles yet")).toBeVisible();
  await page.getByRole("button", { name: "New profile" }).click();
  const dialog = page.getByRole("dialog", { name: "New customer profile" });
  await dialog.getByRole("button", { name: "Create profile" }).click();
  await expect(dialog.getByText("Give the profile a name")).toBeVisible();
  await dialog.getByLabel("Name").fill("Bob");
  await fillCustomer(page, {
    sex: "Male",
    age: 45,
    annual_income: 30,
    spending_score: 20,
    purchase_frequency: 5,
  });
  await dialog.getByRole("button", { name: "Create profile" }).click();
  await expect(page.getByText("Created profile “Bob”")).toBeVisible();

  await page.getByRole("button", { name: "Edit Bob" }).click();
  const edit = page.getByRole("dialog", { name: "Edit “Bob”" });
  await edit.getByLabel("Age").fill("46");
  await edit.getByLabel("Notes (optional)").fill("Prefers email");
  await edit.getByRole("button", { name: "Save changes" }).click();
  await expect(page.getByTestId("profile-row")).toContainText("46 yrs");

  await page.getByLabel("Search profiles").fill("nobody");
  await expect(page.getByText("No profile matches “nobody”")).toBeVisible();
  await expect(page).toHaveURL(/q=nobody/);
  await page.getByLabel("Search profiles").fill("bob");
  await expect(page.getByTestId("profile-row")).toHaveCount(1);

  await page.getByRole("button", { name: "Delete Bob" }).click();
  await page
    .getByRole("dialog", { name: "Delete “Bob”?" })
    .getByRole("button", { name: "Delete" })
    .click();
  await expect(page.getByText("Deleted profile “Bob”")).toBeVisible();
  await expect(page.getByTestId("profile-row")).toHaveCount(0);
});
