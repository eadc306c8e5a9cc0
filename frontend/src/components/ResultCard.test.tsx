import { render, screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import type { ClusterSummary } from "@/client";
import { ResultCard } from "./ResultCard";

const clusters: ClusterSummary[] = [
  {
    cluster_id: 0,
    cluster_name: "High Value Customers",
    description: "High income and high spending",
    size: 100,
    percentage: 50,
    avg_age: 38,
    avg_income: 95,
    avg_spending_score: 80,
    avg_purchase_frequency: 40,
    sex_ratio: { Female: 0.5, Male: 0.5 },
  },
  {
    cluster_id: 1,
    cluster_name: "Budget Conscious",
    size: 100,
    percentage: 50,
    avg_age: 52,
    avg_income: 30,
    avg_spending_score: 25,
    avg_purchase_frequency: 6,
    sex_ratio: { Female: 0.5, Male: 0.5 },
  },
];

describe("ResultCard", () => {
  it("shows the segment, the confidence and what sets the segment apart", () => {
    render(
      <ResultCard
        prediction={{
          cluster: 0,
          cluster_name: "High Value Customers",
          confidence: 72.5,
          model_version: "v3-abc",
          customer_data: {
            sex: "Female",
            age: 31,
            annual_income: 90,
            spending_score: 85,
            purchase_frequency: 30,
          },
        }}
        clusters={clusters}
      />,
    );
    expect(screen.getByTestId("segment-name")).toHaveTextContent("High Value Customers");
    expect(screen.getByText("High income and high spending")).toBeInTheDocument();
    expect(screen.getByTestId("confidence")).toHaveTextContent("72.5%");
    expect(screen.getByRole("meter", { name: /Confidence 72.5 percent, high/ })).toHaveValue(72.5);
    const traits = screen.getAllByRole("listitem");
    expect(traits).toHaveLength(3);
    expect(traits[0]).toHaveTextContent("Purchases/yr");
    expect(traits[0]).toHaveTextContent("above average");
  });

  it("works before the segments are known", () => {
    render(
      <ResultCard
        prediction={{
          cluster: 4,
          cluster_name: "Mixed Segment 4",
          confidence: 12,
          model_version: "v1",
          customer_data: {
            sex: "Male",
            age: 40,
            annual_income: 1,
            spending_score: 1,
            purchase_frequency: 0,
          },
        }}
        clusters={undefined}
      />,
    );
    expect(screen.getByText("Low confidence")).toBeInTheDocument();
    expect(screen.queryByText("What sets this segment apart")).not.toBeInTheDocument();
  });
});
