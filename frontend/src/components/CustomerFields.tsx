import { SelectField, TextField } from "@/components/ui/Field";
import {
  type CustomerDraft,
  type CustomerErrors,
  FIELD_HINTS,
  FIELD_LABELS,
  NUMERIC_FIELDS,
  rangeOf,
  SEXES,
} from "@/lib/customer";

/** The five customer inputs with the API's ranges (as attributes, hints and messages). */
export function CustomerFields({
  draft,
  errors,
  onChange,
  onBlur,
  idPrefix,
}: {
  draft: CustomerDraft;
  errors: CustomerErrors;
  onChange: (field: keyof CustomerDraft, value: string) => void;
  onBlur?: (field: keyof CustomerDraft) => void;
  idPrefix: string;
}) {
  return (
    <div className="grid gap-4 sm:grid-cols-2">
      <SelectField
        id={`${idPrefix}-sex`}
        label={FIELD_LABELS.sex}
        value={draft.sex}
        onChange={(e) => onChange("sex", e.target.value)}
        onBlur={() => onBlur?.("sex")}
        error={errors.sex}
      >
        <option value="">Choose…</option>
        {SEXES.map((sex) => (
          <option key={sex} value={sex}>
            {sex}
          </option>
        ))}
      </SelectField>
      {NUMERIC_FIELDS.map((field) => {
        const range = rangeOf(field);
        return (
          <TextField
            key={field}
            id={`${idPrefix}-${field}`}
            label={FIELD_LABELS[field]}
            type="number"
            inputMode={range.integer ? "numeric" : "decimal"}
            min={range.min}
            max={range.max}
            step={range.integer ? 1 : "any"}
            value={draft[field]}
            onChange={(e) => onChange(field, e.target.value)}
            onBlur={() => onBlur?.(field)}
            error={errors[field]}
            hint={`${FIELD_HINTS[field]} · ${range.min}–${range.max}`}
          />
        );
      })}
    </div>
  );
}
