"""The admin statistics' contract (API.md, "Console support"): its time window and counts.

auth-service validates it at `/admin/stats` and passes it on; profile-service counts
predictions per bucket inside it.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import Query
from pydantic import BaseModel

Bucket = Literal["day", "week", "month"]
StatsDays = Annotated[int, Query(ge=7, le=365, description="Days back from today (UTC).")]
StatsBucket = Annotated[Bucket, Query(description="Width of each `predictions_over_time` bucket.")]


class DayCount(BaseModel):
    date: str
    count: int


class BucketCount(BaseModel):
    start: str
    count: int
