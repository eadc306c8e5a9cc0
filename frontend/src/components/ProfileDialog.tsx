import { useMutation, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useEffect, useState } from "react";
import type { ProfilePublic } from "@/client";
import {
  createProfileProfilesPostMutation,
  updateProfileProfilesProfileIdPutMutation,
} from "@/client/@tanstack/react-query.gen";
import { CustomerFields } from "@/components/CustomerFields";
import { Alert } from "@/components/ui/Alert";
import { Button } from "@/components/ui/Button";
import { Dialog } from "@/components/ui/Dialog";
import { TextAreaField, TextField } from "@/components/ui/Field";
import { toast } from "@/components/ui/Toast";
import { useCustomerDraft } from "@/hooks/useCustomerDraft";
import { ApiError, errorMessage } from "@/lib/errors";
import { invalidate } from "@/lib/queries";

/** Create a profile, or edit one (`profile` given). */
export function ProfileDialog({
  open,
  profile,
  onClose,
}: {
  open: boolean;
  profile: ProfilePublic | null;
  onClose: () => void;
}) {
  const queryClient = useQueryClient();
  const form = useCustomerDraft();
  const [name, setName] = useState("");
  const [notes, setNotes] = useState("");
  const [nameTouched, setNameTouched] = useState(false);
  const { load, reset } = form;

  useEffect(() => {
    if (!open) return;
    if (profile) load(profile);
    else reset();
    setName(profile?.name ?? "");
    setNotes(profile?.notes ?? "");
    setNameTouched(false);
  }, [open, profile, load, reset]);

  const done = (message: string) => {
    toast.success(message);
    void invalidate(queryClient, "profiles", "myProfileUsersMeProfileGet");
    onClose();
  };
  const create = useMutation({
    ...createProfileProfilesPostMutation(),
    onSuccess: (p) => done(`Created profile “${p.name}”`),
  });
  const update = useMutation({
    ...updateProfileProfilesProfileIdPutMutation(),
    onSuccess: (p) => done(`Saved profile “${p.name}”`),
  });
  const failure = create.error ?? update.error;

  const nameError = !name.trim()
    ? "Give the profile a name"
    : name.length > 255
      ? "At most 255 characters"
      : undefined;
  const notesError = notes.length > 2000 ? "At most 2,000 characters" : undefined;

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setNameTouched(true);
    form.touchAll();
    if (nameError || notesError || !form.value) return;
    const body = { ...form.value, name: name.trim(), notes: notes.trim() || null };
    if (profile) update.mutate({ path: { profile_id: profile.id }, body });
    else create.mutate({ body });
  };

  return (
    <Dialog
      open={open}
      onClose={onClose}
      title={profile ? `Edit “${profile.name}”` : "New customer profile"}
      size="lg"
    >
      <form
        onSubmit={submit}
        noValidate
        className="space-y-4"
        aria-label={profile ? "Edit profile" : "New profile"}
      >
        {failure && (
          <Alert tone="error">
            {failure instanceof ApiError ? failure.message : errorMessage(failure)}
          </Alert>
        )}
        <TextField
          label="Name"
          value={name}
          onChange={(e) => {
            setName(e.target.value);
            setNameTouched(true);
          }}
          onBlur={() => setNameTouched(true)}
          error={nameTouched ? nameError : undefined}
        />
        <CustomerFields
          idPrefix="profile"
          draft={form.draft}
          errors={form.errors}
          onChange={form.change}
          onBlur={form.blur}
        />
        <TextAreaField
          label="Notes (optional)"
          value={notes}
          onChange={(e) => setNotes(e.target.value)}
          error={notesError}
          hint={`${notes.length} / 2,000 characters`}
        />
        <div className="flex justify-end gap-2">
          <Button variant="secondary" onClick={onClose}>
            Cancel
          </Button>
          <Button type="submit" loading={create.isPending || update.isPending}>
            {profile ? "Save changes" : "Create profile"}
          </Button>
        </div>
      </form>
    </Dialog>
  );
}
