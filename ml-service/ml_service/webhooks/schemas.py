"""Request and response bodies of `/webhooks`."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field, field_validator
from segshared.params import Text

from ml_service.webhooks.events import EventType


class WebhookCreate(BaseModel):
    url: Annotated[Text, Field(min_length=8, max_length=2048)]
    events: list[EventType] = Field(min_length=1, max_length=4)
    description: Annotated[Text, Field(max_length=500)] | None = None

    @field_validator("events")
    @classmethod
    def _distinct(cls, events: list[EventType]) -> list[EventType]:
        return list(dict.fromkeys(events))


class WebhookPublic(BaseModel):
    id: int
    url: str
    events: list[str]
    description: str | None
    created_at: datetime


class WebhookCreated(WebhookPublic):
    """The subscription and its signing secret: shown here once, never again."""

    secret: str


class AttemptPublic(BaseModel):
    attempted_at: datetime
    status_code: int | None
    error: str | None
    duration_ms: float


class DeliveryPublic(BaseModel):
    id: str
    event: str
    event_id: str
    status: str
    attempts: int
    last_status_code: int | None
    last_error: str | None
    created_at: datetime
    next_attempt_at: datetime | None
    delivered_at: datetime | None
    attempt_log: list[AttemptPublic]
