"""The customer input shared by predict (ml-service) and profiles (profile-service).

It is part of the public contract (API.md, "Customer input"), so both services use
this one definition.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, Field

CLUSTER_FEATURES = ("age", "annual_income", "spending_score", "purchase_frequency")
CUSTOMER_FIELDS = ("sex", *CLUSTER_FEATURES)


def canonical_sex(value: object) -> object:
    """ "male"/"FEMALE"/... → "Male"/"Female"; anything else is left for validation to refuse."""
    if isinstance(value, str) and value.strip().lower() in ("male", "female"):
        return value.strip().capitalize()
    return value


Sex = Annotated[Literal["Male", "Female"], BeforeValidator(canonical_sex)]
Age = Annotated[int, Field(ge=18, le=100)]
AnnualIncome = Annotated[float, Field(ge=0, le=10_000, allow_inf_nan=False)]
SpendingScore = Annotated[int, Field(ge=1, le=100)]
PurchaseFrequency = Annotated[int, Field(ge=0, le=365)]


class CustomerInput(BaseModel):
    """One customer: sex (display only) and the four clustering features."""

    sex: Sex
    age: Age
    annual_income: AnnualIncome
    spending_score: SpendingScore
    purchase_frequency: PurchaseFrequency
