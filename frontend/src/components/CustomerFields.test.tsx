import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { useCustomerDraft } from "@/hooks/useCustomerDraft";
import { CustomerFields } from "./CustomerFields";

function Harness() {
  const form = useCustomerDraft();
  return (
    <>
      <CustomerFields
        idPrefix="t"
        draft={form.draft}
        errors={form.errors}
        onChange={form.change}
        onBlur={form.blur}
      />
      <output>{form.value ? JSON.stringify(form.value) : "invalid"}</output>
    </>
  );
}

describe("CustomerFields", () => {
  it("labels every input and carries the API's ranges", () => {
    render(<Harness />);
    const age = screen.getByLabelText("Age");
    expect(age).toHaveAttribute("min", "18");
    expect(age).toHaveAttribute("max", "100");
    expect(screen.getByLabelText("Annual income (k/yr)")).toHaveAttribute("step", "any");
    expect(screen.getByLabelText("Spending score")).toHaveAttribute("min", "1");
    expect(screen.getByLabelText("Purchases per year")).toHaveAttribute("max", "365");
    expect(screen.getByLabelText("Sex")).toBeInTheDocument();
  });

  it("validates as the user types and gives the typed value when all is right", async () => {
    const user = userEvent.setup();
    render(<Harness />);
    await user.type(screen.getByLabelText("Age"), "17");
    expect(screen.getByText("Between 18 and 100")).toBeInTheDocument();
    expect(screen.getByLabelText("Age")).toHaveAttribute("aria-invalid", "true");
    expect(screen.getByLabelText("Age")).toHaveAccessibleDescription("Between 18 and 100");
    await user.clear(screen.getByLabelText("Age"));
    await user.type(screen.getByLabelText("Age"), "31");
    expect(screen.queryByText("Between 18 and 100")).not.toBeInTheDocument();
    await user.selectOptions(screen.getByLabelText("Sex"), "Female");
    await user.type(screen.getByLabelText("Annual income (k/yr)"), "72.5");
    await user.type(screen.getByLabelText("Spending score"), "81");
    await user.type(screen.getByLabelText("Purchases per year"), "24");
    expect(screen.getByRole("status")).toHaveTextContent(
      JSON.stringify({
        sex: "Female",
        age: 31,
        annual_income: 72.5,
        spending_score: 81,
        purchase_frequency: 24,
      }),
    );
  });
});
