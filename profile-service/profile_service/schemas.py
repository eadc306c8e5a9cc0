"""Request and response bodies of the profile-service."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field
from segshared.contracts.customer import (
    Age,
    AnnualIncome,
    CustomerInput,
    PurchaseFrequency,
    Sex,
    SpendingScore,
)
from segshared.params import Text
from segshared.stats_window import BucketCount, DayCount

Name = Annotated[Text, Field(min_length=1, max_length=255)]
Notes = Annotated[Text, Field(max_length=2000)]


class ProfileCreate(CustomerInput):
    name: Name
    notes: Notes | None = None


class ProfileUpdate(BaseModel):
    """Any subset of the profile's fields."""

    name: Name | None = None
    notes: Notes | None = None
    sex: Sex | None = None
    age: Age | None = None
    annual_income: AnnualIncome | None = None
    spending_score: SpendingScore | None = None
    purchase_frequency: PurchaseFrequency | None = None


class ProfilePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    user_id: int
    name: str
    notes: str | None
    sex: str
    age: int
    annual_income: float
    spending_score: int
    purchase_frequency: int
    created_at: datetime
    updated_at: datetime


class HistoryEntry(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    customer_data: dict[str, Any]
    cluster: int | None
    cluster_name: str | None
    confidence: float | None
    model_version: str | None
    profile_id: int | None
    created_at: datetime


class HistoryPage(BaseModel):
    history: list[HistoryEntry]
    total: int = Field(
        description="Matching entries, counted up to `skip` + 1,000 (exact below that bound)"
    )
    total_capped: bool = Field(
        description="More entries match than were counted: `total` is `skip` + 1,000"
    )


class Message(BaseModel):
    message: str


class UserStats(BaseModel):
    total_predictions: int
    total_saved_profiles: int


class UserIds(BaseModel):
    user_ids: list[int] = Field(max_length=1000)


class OverallStats(BaseModel):
    total_predictions: int
    total_profiles: int
    predictions_by_cluster: dict[str, int]
    predictions_last_7_days: list[DayCount]
    predictions_over_time: list[BucketCount]
