import { randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import AxeBuilder from "@axe-core/playwright";
import { type APIRequestContext, expect, type Page } from "@playwright/test";

export const ADMIN = {
  username: process.env.ADMIN_USERNAME ?? "admin",
  password: process.env.ADMIN_PASSWORD ?? "",
};
export const ARTIFACTS =
  process.env.E2E_ARTIFACTS ?? join(import.meta.dirname, "..", "e2e-artifacts");

export interface TestUser {
  id: number;
  username: string;
  email: string;
  password: string;
  role: "user" | "analyst" | "admin";
}

export async function apiToken(
  request: APIRequestContext,
  username: string,
  password: string,
): Promise<string> {
  const response = await request.post("/auth/login", { data: { username, password } });
  expect(response.status(), await response.text()).toBe(200);
  return (await response.json()).access_token as string;
}

/** A fresh user made through the API (and promoted by the admin when asked). */
export async function createUser(
  request: APIRequestContext,
  role: TestUser["role"] = "user",
): Promise<TestUser> {
  const suffix = randomBytes(4).toString("hex");
  const user = {
    username: `pw_${suffix}`,
    email: `pw_${suffix}@example.com`,
    password: `Passw0rd-${suffix}`,
  };
  const created = await request.post("/auth/register", {
    data: { ...user, full_name: `Tester ${suffix}` },
  });
  expect(created.status(), await created.text()).toBe(201);
  const id = (await created.json()).id as number;
  if (role !== "user") {
    const token = await apiToken(request, ADMIN.username, ADMIN.password);
    const promoted = await request.put(`/admin/users/${id}/role`, {
      data: { role },
      headers: { Authorization: `Bearer ${token}` },
    });
    expect(promoted.status()).toBe(200);
  }
  return { ...user, id, role };
}

export async function login(
  page: Page,
  user: { username: string; password: string },
): Promise<void> {
  await page.goto("/ui/login");
  await page.getByLabel("Username or email").fill(user.username);
  await page.getByLabel("Password").fill(user.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/ui\/dashboard/);
}

export async function fillCustomer(
  page: Page,
  customer: {
    sex: string;
    age: number;
    annual_income: number;
    spending_score: number;
    purchase_frequency: number;
  },
): Promise<void> {
  await page.getByLabel("Sex").selectOption(customer.sex);
  await page.getByLabel("Age").fill(String(customer.age));
  await page.getByLabel("Annual income (k/yr)").fill(String(customer.annual_income));
  await page.getByLabel("Spending score").fill(String(customer.spending_score));
  await page.getByLabel("Purchases per year").fill(String(customer.purchase_frequency));
}

/** Serious and critical axe violations of the page as it is now (WCAG 2.1 A/AA). */
export async function seriousViolations(page: Page) {
  const results = await new AxeBuilder({ page })
    .withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"])
    .analyze();
  return results.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n) => n.target.join(" ")).slice(0, 5),
    }));
}

export function saveArtifact(name: string, content: string): void {
  mkdirSync(ARTIFACTS, { recursive: true });
  writeFileSync(join(ARTIFACTS, name), content);
}
