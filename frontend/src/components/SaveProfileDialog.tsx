import { useMutation, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import type { CustomerInput } from "@/client";
import { createProfileProfilesPostMutation } from "@/client/@tanstack/react-query.gen";
import { Button } from "@/components/ui/Button";
import { Dialog } from "@/components/ui/Dialog";
import { TextAreaField, TextField } from "@/components/ui/Field";
import { toast } from "@/components/ui/Toast";
import { invalidate } from "@/lib/queries";

/** Save a customer that was just predicted as a named profile, with notes. */
export function SaveProfileDialog({
  customer,
  open,
  onClose,
}: {
  customer: CustomerInput;
  open: boolean;
  onClose: () => void;
}) {
  const queryClient = useQueryClient();
  const [name, setName] = useState("");
  const [notes, setNotes] = useState("");
  const [touched, setTouched] = useState(false);
  const create = useMutation({
    ...createProfileProfilesPostMutation(),
    onSuccess: (profile) => {
      toast.success(`Saved profile “${profile.name}”`);
      void invalidate(queryClient, "profiles", "myProfileUsersMeProfileGet");
      setName("");
      setNotes("");
      setTouched(false);
      onClose();
    },
    onError: (error) => toast.error(error),
  });
  const nameError = !name.trim()
    ? "Give the profile a name"
    : name.length > 255
      ? "At most 255 characters"
      : undefined;
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setTouched(true);
    if (nameError) return;
    create.mutate({ body: { ...customer, name: name.trim(), notes: notes.trim() || null } });
  };
  return (
    <Dialog
      open={open}
      onClose={onClose}
      title="Save as profile"
      description={`${customer.sex}, ${customer.age} years, income ${customer.annual_income} k/yr, spending ${customer.spending_score}, ${customer.purchase_frequency} purchases/yr`}
    >
      <form onSubmit={submit} className="space-y-4" noValidate>
        <TextField
          label="Profile name"
          value={name}
          onChange={(e) => setName(e.target.value)}
          onBlur={() => setTouched(true)}
          error={touched ? nameError : undefined}
          autoFocus
        />
        <TextAreaField
          label="Notes (optional)"
          value={notes}
          onChange={(e) => setNotes(e.target.value)}
          maxLength={2000}
          hint="Up to 2,000 characters"
        />
        <div className="flex justify-end gap-2">
          <Button variant="secondary" onClick={onClose}>
            Cancel
          </Button>
          <Button type="submit" loading={create.isPending}>
            Save profile
          </Button>
        </div>
      </form>
    </Dialog>
  );
}
