import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { ChartFigure, DataTable } from "./ChartFigure";

describe("ChartFigure", () => {
  it("gives every chart a text summary and a data table", async () => {
    const user = userEvent.setup();
    render(
      <ChartFigure
        title="Cluster distribution"
        summary="Budget: 40 customers; Premium: 10 customers"
        table={
          <DataTable
            caption="Customers per segment"
            columns={["Segment", "Customers"]}
            rows={[
              ["Budget", 40],
              ["Premium", 10],
            ]}
          />
        }
      >
        <div>chart</div>
      </ChartFigure>,
    );
    const figure = screen.getByRole("figure", { name: "Cluster distribution" });
    expect(figure).toHaveAccessibleDescription("Budget: 40 customers; Premium: 10 customers");
    await user.click(screen.getByText("Show data as a table"));
    const table = screen.getByRole("table", { name: "Customers per segment" });
    expect(table).toHaveTextContent("Budget40");
    expect(table).toHaveTextContent("Premium10");
  });
});
