import { readFileSync } from "node:fs";
import { expect, test } from "@playwright/test";
import { createUser, login } from "./helpers";

const CSV = [
  "sex,age,annual_income,spending_score,purchase_frequency",
  "Female,31,72,81,24",
  "Male,17,30,20,4",
  "Male,45,55,40,10",
].join("\n");

test("batch: upload with progress, refused rows listed, scored CSV downloaded", async ({
  page,
  request,
}) => {
  const user = await createUser(request);
  await login(page, user);
  await page.getByRole("link", { name: "Batch" }).first().click();
  await page
    .getByLabel("Customers CSV")
    .setInputFiles({ name: "customers.csv", mimeType: "text/csv", buffer: Buffer.from(CSV) });
  await page.getByRole("button", { name: "Score file" }).click();
  await expect(page.getByTestId("batch-scored")).toHaveText("2");
  await expect(page.getByTestId("batch-errors")).toHaveText("1");
  const refused = page.getByRole("table", {
    name: "Rows that could not be scored, with the reason",
  });
  await expect(refused).toContainText("age");
  await expect(refused.locator("tbody tr td").first()).toHaveText("2");

  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.getByRole("button", { name: "Download scored CSV" }).click(),
  ]);
  expect(download.suggestedFilename()).toBe("customers-scored.csv");
  const lines = readFileSync((await download.path()) ?? "", "utf8")
    .trim()
    .split(/\r?\n/);
  expect(lines[0]).toBe(
    "sex,age,annual_income,spending_score,purchase_frequency,cluster,cluster_name,confidence",
  );
  expect(lines).toHaveLength(4);
  expect(lines[1]?.split(",")[6]).toBeTruthy();
  expect(lines[2]?.split(",").slice(5)).toEqual(["", "", ""]);
});
