"""Tables of the webhooks (schema `ml`): subscriptions, the event outbox, deliveries, attempts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from segshared.db import utcnow
from sqlalchemy import BigInteger, Column, DateTime, Float, ForeignKey, Integer, String, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field

from ml_service.tables import Base


class Subscription(Base, table=True):
    """A user's webhook: where to POST which events, and its signing secret (encrypted)."""

    __tablename__ = "webhook_subscriptions"

    id: int | None = Field(default=None, primary_key=True)
    owner_id: int = Field(sa_column=Column(Integer, nullable=False, index=True))
    url: str = Field(sa_column=Column(String(2048), nullable=False))
    events: list[str] = Field(sa_column=Column(JSONB, nullable=False))
    description: str | None = Field(default=None, sa_column=Column(String(500), nullable=True))
    secret_encrypted: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )


class OutboxEvent(Base, table=True):
    """An event raised in the transaction of the change it reports."""

    __tablename__ = "webhook_events"

    id: str = Field(sa_column=Column(String(32), primary_key=True))
    type: str = Field(sa_column=Column(String(32), nullable=False))
    data: dict[str, Any] = Field(sa_column=Column(JSONB, nullable=False))
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )


class Delivery(Base, table=True):
    """One event for one subscription: `pending` until a 2xx (`succeeded`) or out of attempts."""

    __tablename__ = "webhook_deliveries"

    id: str = Field(sa_column=Column(String(32), primary_key=True))
    subscription_id: int = Field(
        sa_column=Column(
            Integer,
            ForeignKey("ml.webhook_subscriptions.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        )
    )
    event_id: str = Field(
        sa_column=Column(
            String(32), ForeignKey("ml.webhook_events.id", ondelete="CASCADE"), nullable=False
        )
    )
    status: str = Field(sa_column=Column(String(16), nullable=False))
    attempts: int = Field(default=0, sa_column=Column(Integer, nullable=False))
    next_attempt_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
    last_status_code: int | None = Field(default=None, sa_column=Column(Integer, nullable=True))
    last_error: str | None = Field(default=None, sa_column=Column(String(500), nullable=True))
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
    delivered_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )


class Attempt(Base, table=True):
    """One try at a delivery: the answer's status code, or why there was none."""

    __tablename__ = "webhook_attempts"

    id: int | None = Field(default=None, sa_column=Column(BigInteger, primary_key=True))
    delivery_id: str = Field(
        sa_column=Column(
            String(32),
            ForeignKey("ml.webhook_deliveries.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        )
    )
    attempted_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
    status_code: int | None = Field(default=None, sa_column=Column(Integer, nullable=True))
    error: str | None = Field(default=None, sa_column=Column(String(500), nullable=True))
    duration_ms: float = Field(default=0.0, sa_column=Column(Float, nullable=False))
