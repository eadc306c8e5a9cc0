import { describe, expect, it } from "vitest";
import type { ClusterSummary } from "@/client";
import { distinctiveTraits, SEGMENT_COLORS, segmentColor } from "./segments";

const cluster = (id: number, size: number, income: number, spending: number): ClusterSummary => ({
  cluster_id: id,
  cluster_name: `S${id}`,
  size,
  percentage: 0,
  avg_age: 40,
  avg_income: income,
  avg_spending_score: spending,
  avg_purchase_frequency: 12,
  sex_ratio: { Female: 0.5, Male: 0.5 },
});

describe("segments", () => {
  it("ranks what sets a segment apart from the size-weighted average", () => {
    const all = [cluster(0, 100, 100, 50), cluster(1, 100, 50, 50)];
    const [first, ...rest] = distinctiveTraits(all[0] as ClusterSummary, all);
    expect(first?.label).toBe("Income");
    expect(first?.delta).toBeCloseTo(1 / 3);
    expect(rest.every((t) => Math.abs(t.delta) < 1e-9)).toBe(true);
  });

  it("gives every cluster id a colour, cycling", () => {
    expect(segmentColor(0)).toBe(SEGMENT_COLORS[0]);
    expect(segmentColor(SEGMENT_COLORS.length)).toBe(SEGMENT_COLORS[0]);
  });
});
