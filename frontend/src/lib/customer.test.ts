import { describe, expect, it } from "vitest";
import { CustomerInputSchema } from "@/client/schemas.gen";
import { draftOf, fieldError, rangeOf, validateCustomer } from "./customer";

describe("customer input", () => {
  it("takes its ranges from the API's own schema", () => {
    expect(rangeOf("age")).toEqual({ min: 18, max: 100, integer: true });
    expect(rangeOf("annual_income")).toEqual({ min: 0, max: 10000, integer: false });
    expect(rangeOf("spending_score").min).toBe(
      CustomerInputSchema.properties.spending_score.minimum,
    );
    expect(rangeOf("purchase_frequency").max).toBe(365);
  });

  it("explains each kind of wrong value", () => {
    expect(fieldError("age", "")).toBe("Required");
    expect(fieldError("age", "abc")).toBe("Enter a number");
    expect(fieldError("age", "30.5")).toBe("Enter a whole number");
    expect(fieldError("age", "17")).toBe("Between 18 and 100");
    expect(fieldError("annual_income", "72.5")).toBeUndefined();
    expect(fieldError("sex", "other")).toBe("Choose Male or Female");
  });

  it("gives the typed body when every field is valid", () => {
    const draft = draftOf({
      sex: "Female",
      age: 31,
      annual_income: 72,
      spending_score: 81,
      purchase_frequency: 24,
    });
    expect(validateCustomer(draft)).toEqual({
      value: {
        sex: "Female",
        age: 31,
        annual_income: 72,
        spending_score: 81,
        purchase_frequency: 24,
      },
      errors: {},
    });
    const bad = validateCustomer({ ...draft, spending_score: "0" });
    expect(bad.value).toBeNull();
    expect(bad.errors).toEqual({ spending_score: "Between 1 and 100" });
  });
});
