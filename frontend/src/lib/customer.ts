/**
 * The customer input (predict and profiles), validated with the ranges of the API's
 * own schema (generated from /openapi.json), so the form and the API never disagree.
 */
import type { CustomerInput } from "@/client";
import { CustomerInputSchema } from "@/client/schemas.gen";

export type NumericField = "age" | "annual_income" | "spending_score" | "purchase_frequency";
export const NUMERIC_FIELDS: NumericField[] = [
  "age",
  "annual_income",
  "spending_score",
  "purchase_frequency",
];
export const SEXES = CustomerInputSchema.properties.sex.enum;

export const FIELD_LABELS: Record<NumericField | "sex", string> = {
  sex: "Sex",
  age: "Age",
  annual_income: "Annual income (k/yr)",
  spending_score: "Spending score",
  purchase_frequency: "Purchases per year",
};

export const FIELD_HINTS: Record<NumericField, string> = {
  age: "Years",
  annual_income: "Thousands per year",
  spending_score: "1 = spends least, 100 = most",
  purchase_frequency: "Purchases per year",
};

export interface Range {
  min: number;
  max: number;
  integer: boolean;
}

export function rangeOf(field: NumericField): Range {
  const property = CustomerInputSchema.properties[field];
  return { min: property.minimum, max: property.maximum, integer: property.type === "integer" };
}

export type CustomerDraft = Record<NumericField | "sex", string>;
export type CustomerErrors = Partial<Record<NumericField | "sex", string>>;

export const EMPTY_CUSTOMER: CustomerDraft = {
  sex: "",
  age: "",
  annual_income: "",
  spending_score: "",
  purchase_frequency: "",
};

export function fieldError(field: NumericField | "sex", raw: string): string | undefined {
  if (field === "sex") {
    return (SEXES as readonly string[]).includes(raw) ? undefined : "Choose Male or Female";
  }
  const { min, max, integer } = rangeOf(field);
  if (raw.trim() === "") return "Required";
  const value = Number(raw);
  if (!Number.isFinite(value)) return "Enter a number";
  if (integer && !Number.isInteger(value)) return "Enter a whole number";
  if (value < min || value > max) return `Between ${min} and ${max}`;
  return undefined;
}

export function validateCustomer(draft: CustomerDraft): {
  value: CustomerInput | null;
  errors: CustomerErrors;
} {
  const errors: CustomerErrors = {};
  for (const field of ["sex", ...NUMERIC_FIELDS] as const) {
    const error = fieldError(field, draft[field]);
    if (error) errors[field] = error;
  }
  if (Object.keys(errors).length > 0) return { value: null, errors };
  return {
    value: {
      sex: draft.sex as CustomerInput["sex"],
      age: Number(draft.age),
      annual_income: Number(draft.annual_income),
      spending_score: Number(draft.spending_score),
      purchase_frequency: Number(draft.purchase_frequency),
    },
    errors,
  };
}

/** Any saved customer (a profile, a prediction's input): `sex` may be any string there. */
export type CustomerLike = Partial<Omit<CustomerInput, "sex">> & { sex?: string | null };

export function draftOf(customer: CustomerLike): CustomerDraft {
  return {
    sex: customer.sex ?? "",
    age: customer.age?.toString() ?? "",
    annual_income: customer.annual_income?.toString() ?? "",
    spending_score: customer.spending_score?.toString() ?? "",
    purchase_frequency: customer.purchase_frequency?.toString() ?? "",
  };
}
