"""The customer input shared by predict (ml-service) and profiles (profile-service).

It is part of the public contract (API.md, "Customer input"), so both services use
this one definition.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, NamedTuple

from pydantic import BaseModel, BeforeValidator, Field

CLUSTER_FEATURES = ("age", "annual_income", "spending_score", "purchase_frequency")
CUSTOMER_FIELDS = ("sex", *CLUSTER_FEATURES)


class Range(NamedTuple):
    """A clustering feature's accepted values: `low`..`high`, whole numbers if `whole`."""

    low: int
    high: int
    whole: bool


# The one definition of the input ranges: the API types below, CSV input (ml-service) and
# the synthetic generator read it.
FEATURE_RANGES: dict[str, Range] = {
    "age": Range(18, 100, whole=True),
    "annual_income": Range(0, 10_000, whole=False),
    "spending_score": Range(1, 100, whole=True),
    "purchase_frequency": Range(0, 365, whole=True),
}


def _within(feature: str, **extra: Any) -> Any:
    """Field bounds of `feature`'s range."""
    low, high, _ = FEATURE_RANGES[feature]
    return Field(ge=low, le=high, **extra)


def canonical_sex(value: object) -> object:
    """ "male"/"FEMALE"/... → "Male"/"Female"; anything else is left for validation to refuse."""
    if isinstance(value, str) and value.strip().lower() in ("male", "female"):
        return value.strip().capitalize()
    return value


Sex = Annotated[Literal["Male", "Female"], BeforeValidator(canonical_sex)]
Age = Annotated[int, _within("age")]
AnnualIncome = Annotated[float, _within("annual_income", allow_inf_nan=False)]
SpendingScore = Annotated[int, _within("spending_score")]
PurchaseFrequency = Annotated[int, _within("purchase_frequency")]


class CustomerInput(BaseModel):
    """One customer: sex (display only) and the four clustering features."""

    sex: Sex
    age: Age
    annual_income: AnnualIncome
    spending_score: SpendingScore
    purchase_frequency: PurchaseFrequency
