import { useCallback, useState } from "react";
import {
  type CustomerDraft,
  type CustomerErrors,
  type CustomerLike,
  draftOf,
  EMPTY_CUSTOMER,
  validateCustomer,
} from "@/lib/customer";

/** A customer form's state; errors show for a field once it was touched (or on submit). */
export function useCustomerDraft(initial: CustomerLike = {}) {
  const [draft, setDraft] = useState<CustomerDraft>(() => ({
    ...EMPTY_CUSTOMER,
    ...draftOf(initial),
  }));
  const [touched, setTouched] = useState<Partial<Record<keyof CustomerDraft, boolean>>>({});
  const checked = validateCustomer(draft);
  const reset = useCallback(() => {
    setDraft(EMPTY_CUSTOMER);
    setTouched({});
  }, []);
  const load = useCallback((customer: CustomerLike) => {
    setDraft({ ...EMPTY_CUSTOMER, ...draftOf(customer) });
    setTouched({});
  }, []);
  const errors: CustomerErrors = Object.fromEntries(
    Object.entries(checked.errors).filter(([field]) => touched[field as keyof CustomerDraft]),
  );
  return {
    draft,
    errors,
    value: checked.value,
    change: (field: keyof CustomerDraft, value: string) => {
      setDraft((d) => ({ ...d, [field]: value }));
      setTouched((t) => ({ ...t, [field]: true }));
    },
    blur: (field: keyof CustomerDraft) => setTouched((t) => ({ ...t, [field]: true })),
    touchAll: () =>
      setTouched({
        sex: true,
        age: true,
        annual_income: true,
        spending_score: true,
        purchase_frequency: true,
      }),
    load,
    reset,
  };
}
