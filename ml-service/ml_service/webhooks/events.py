"""The events the ml-service raises, and `raise_event`: the outbox write.

`raise_event(session, event)` adds the event and one pending delivery per subscription
that wants it to `session`, so they commit (or roll back) with the change they report.
"""

from __future__ import annotations

import dataclasses
import uuid
from dataclasses import dataclass
from typing import ClassVar, Literal, get_args

from segshared.db import utcnow
from sqlalchemy.ext.asyncio import AsyncSession

from ml_service.webhooks import repository
from ml_service.webhooks.tables import Delivery, OutboxEvent

EventType = Literal["training.succeeded", "training.failed", "model.activated", "drift.detected"]
EVENT_TYPES: tuple[str, ...] = get_args(EventType)


@dataclass(frozen=True)
class TrainingSucceeded:
    """A training job published a new model version."""

    type: ClassVar[EventType] = "training.succeeded"
    job_id: str
    model_version: str
    n_clusters: int
    silhouette_score: float
    n_samples: int


@dataclass(frozen=True)
class TrainingFailed:
    """A training job ended without a model."""

    type: ClassVar[EventType] = "training.failed"
    job_id: str
    error: str


@dataclass(frozen=True)
class ModelActivated:
    """A version became the one served (after a training, or a rollback)."""

    type: ClassVar[EventType] = "model.activated"
    model_version: str
    previous_version: str | None


@dataclass(frozen=True)
class DriftDetected:
    """The periodic drift check saw the active model's status become `drift`."""

    type: ClassVar[EventType] = "drift.detected"
    model_version: str
    window_days: int
    n_predictions: int
    psi: dict[str, float]


WebhookEvent = TrainingSucceeded | TrainingFailed | ModelActivated | DriftDetected


async def raise_event(session: AsyncSession, event: WebhookEvent) -> str | None:
    """Queue `event` for every subscriber in `session`'s transaction; its id, or None if
    nobody subscribes (nothing is stored then)."""
    subscriptions = await repository.subscribers(session, event.type)
    if not subscriptions:
        return None
    now = utcnow()
    row = OutboxEvent(
        id=uuid.uuid4().hex, type=event.type, data=dataclasses.asdict(event), created_at=now
    )
    session.add(row)
    await session.flush()
    for subscription in subscriptions:
        assert subscription.id is not None
        session.add(
            Delivery(
                id=uuid.uuid4().hex,
                subscription_id=subscription.id,
                event_id=row.id,
                status="pending",
                next_attempt_at=now,
                created_at=now,
            )
        )
    return row.id
