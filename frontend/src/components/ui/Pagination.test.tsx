import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { Pagination } from "./Pagination";

describe("Pagination", () => {
  it("pages by the limit and stops at both ends", async () => {
    const user = userEvent.setup();
    const onChange = vi.fn();
    const { rerender } = render(<Pagination skip={0} limit={25} total={60} onChange={onChange} />);
    expect(screen.getByText("Page 1 of 3")).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Previous" })).toBeDisabled();
    await user.click(screen.getByRole("button", { name: "Next" }));
    expect(onChange).toHaveBeenLastCalledWith(25);
    rerender(<Pagination skip={50} limit={25} total={60} onChange={onChange} />);
    expect(screen.getByText(/51–60 of 60/)).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Next" })).toBeDisabled();
  });

  it("says when the total is only a lower bound and keeps Next open", async () => {
    const user = userEvent.setup();
    const onChange = vi.fn();
    render(<Pagination skip={9975} limit={25} total={10000} totalCapped onChange={onChange} />);
    expect(screen.getByText(/9,976–10,000 of 10,000\+/)).toBeInTheDocument();
    expect(screen.getByText("Page 400 of 400+")).toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: "Next" }));
    expect(onChange).toHaveBeenLastCalledWith(10000);
  });

  it("is absent when there is nothing to page", () => {
    const { container } = render(<Pagination skip={0} limit={25} total={0} onChange={() => {}} />);
    expect(container).toBeEmptyDOMElement();
  });
});
