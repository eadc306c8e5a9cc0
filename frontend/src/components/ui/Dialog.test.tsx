import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { ConfirmDialog } from "./Dialog";

describe("ConfirmDialog", () => {
  it("asks for the typed word before a destructive action", async () => {
    const user = userEvent.setup();
    const onConfirm = vi.fn();
    render(
      <ConfirmDialog
        open
        onClose={() => {}}
        onConfirm={onConfirm}
        title="Delete your account?"
        confirmLabel="Delete my account"
        typeToConfirm="ann"
      />,
    );
    const confirm = screen.getByRole("button", { name: "Delete my account", hidden: true });
    expect(confirm).toBeDisabled();
    await user.type(screen.getByLabelText(/Type ann to confirm/), "an");
    expect(confirm).toBeDisabled();
    await user.type(screen.getByLabelText(/Type ann to confirm/), "n");
    expect(confirm).toBeEnabled();
    await user.click(confirm);
    expect(onConfirm).toHaveBeenCalledOnce();
  });

  it("cancels without confirming", async () => {
    const user = userEvent.setup();
    const onClose = vi.fn();
    const onConfirm = vi.fn();
    render(
      <ConfirmDialog
        open
        onClose={onClose}
        onConfirm={onConfirm}
        title="Delete this prediction?"
      />,
    );
    await user.click(screen.getByRole("button", { name: "Cancel", hidden: true }));
    expect(onClose).toHaveBeenCalledOnce();
    expect(onConfirm).not.toHaveBeenCalled();
  });
});
