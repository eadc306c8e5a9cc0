/** Formatting of numbers and dates for display (the user's locale, UTC kept explicit). */

const integer = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });
const decimal = new Intl.NumberFormat(undefined, { maximumFractionDigits: 2 });
const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
const shortDateTime = new Intl.DateTimeFormat(undefined, {
  month: "short",
  day: "numeric",
  hour: "numeric",
  minute: "2-digit",
});
const dateOnly = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeZone: "UTC" });
const relative = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });

export const formatInt = (value: number | null | undefined): string =>
  value === null || value === undefined ? "–" : integer.format(value);

export const formatNumber = (value: number | null | undefined): string =>
  value === null || value === undefined ? "–" : decimal.format(value);

export const formatPercent = (value: number | null | undefined, digits = 1): string =>
  value === null || value === undefined ? "–" : `${value.toFixed(digits)} %`;

export const formatDateTime = (iso: string | null | undefined): string =>
  iso ? dateTime.format(new Date(iso)) : "–";

/** Month, day and time: for table rows, where the year is rarely needed. */
export const formatShortDateTime = (iso: string | null | undefined): string =>
  iso ? shortDateTime.format(new Date(iso)) : "–";

/** A `YYYY-MM-DD` UTC day as a date. */
export const formatDay = (day: string): string => dateOnly.format(new Date(`${day}T00:00:00Z`));

export function formatRelative(iso: string | null | undefined, now: number = Date.now()): string {
  if (!iso) return "never";
  const seconds = Math.round((new Date(iso).getTime() - now) / 1000);
  const units: [Intl.RelativeTimeFormatUnit, number][] = [
    ["day", 86_400],
    ["hour", 3_600],
    ["minute", 60],
  ];
  for (const [unit, size] of units) {
    if (Math.abs(seconds) >= size) return relative.format(Math.round(seconds / size), unit);
  }
  return relative.format(seconds, "second");
}

/** Income in thousands per year, as the API counts it. */
export const formatIncome = (thousands: number): string => `${decimal.format(thousands)} k/yr`;

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ["KB", "MB", "GB"];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}
