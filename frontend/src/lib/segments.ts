/** Colours of segments (by cluster id) and what sets a segment apart from the others. */
import type { ClusterSummary } from "@/client";

// Colour-blind-friendly categorical palette (Okabe–Ito, plus two), readable on light and dark.
export const SEGMENT_COLORS = [
  "#0072B2",
  "#E69F00",
  "#009E73",
  "#CC79A7",
  "#56B4E9",
  "#D55E00",
  "#8C6BB1",
  "#B8860B",
  "#6B7280",
  "#1B9E77",
  "#E7298A",
  "#66A61E",
  "#A6761D",
  "#7570B3",
  "#E6AB02",
];

export const segmentColor = (cluster: number | null | undefined): string =>
  SEGMENT_COLORS[(cluster ?? 0) % SEGMENT_COLORS.length] ?? "#6B7280";

export interface Trait {
  label: string;
  value: string;
  /** Relative difference from the all-customer average, e.g. 0.35 = 35 % above. */
  delta: number;
}

type Metric = "avg_age" | "avg_income" | "avg_spending_score" | "avg_purchase_frequency";
const METRICS: { key: Metric; label: string; unit: (v: number) => string }[] = [
  { key: "avg_income", label: "Income", unit: (v) => `${v.toFixed(0)} k/yr` },
  { key: "avg_spending_score", label: "Spending score", unit: (v) => v.toFixed(0) },
  { key: "avg_purchase_frequency", label: "Purchases/yr", unit: (v) => v.toFixed(0) },
  { key: "avg_age", label: "Age", unit: (v) => `${v.toFixed(0)} yrs` },
];

/** The segment's averages against everyone's, largest differences first. */
export function distinctiveTraits(cluster: ClusterSummary, all: ClusterSummary[]): Trait[] {
  const total = all.reduce((sum, c) => sum + c.size, 0) || 1;
  return METRICS.map(({ key, label, unit }) => {
    const overall = all.reduce((sum, c) => sum + c[key] * c.size, 0) / total;
    const delta = overall === 0 ? 0 : (cluster[key] - overall) / overall;
    return { label, value: unit(cluster[key]), delta };
  }).sort((a, b) => Math.abs(b.delta) - Math.abs(a.delta));
}
