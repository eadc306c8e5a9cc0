"""Names of the Redis streams and channels the services exchange events on.

Event fields are flat strings (Redis stream entries); JSON-valued fields say so. With
tracing on, every event also carries `traceparent` (segshared.tracing.trace_fields).
- HISTORY_STREAM (ml → profile): `HistoryEvent` (encoded by `to_fields`, decoded by
  `from_fields`).
- USER_EVENTS_STREAM (auth outbox relay → profile, ml): event_id, type
  ("user.deleted"), user_id, occurred_at.
- MODEL_PUBLISHED_CHANNEL (pub/sub, ml → ml replicas): the new version string.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from typing import TypeVar

import orjson
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from segshared.streams import BatchHandler, Entry

HISTORY_STREAM = "stream:prediction-history"
USER_EVENTS_STREAM = "stream:user-events"
USER_DELETED = "user.deleted"
MODEL_PUBLISHED_CHANNEL = "model.published"
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class HistoryEvent:
    """One prediction, or one batch summary (no cluster), on HISTORY_STREAM.

    On the stream every field is a string: "" for None, `customer_data` as JSON object
    text, `created_at` as ISO 8601 UTC.
    """

    event_id: str
    user_id: int
    profile_id: int | None
    customer_data: str  # JSON object text, stored as is
    cluster: int | None
    cluster_name: str | None
    confidence: float | None
    model_version: str | None
    created_at: datetime

    @classmethod
    def new(
        cls,
        user_id: int,
        profile_id: int | None,
        customer_data: str,
        model_version: str,
        cluster: int | None = None,
        cluster_name: str | None = None,
        confidence: float | None = None,
    ) -> HistoryEvent:
        """A new event (fresh id, now)."""
        return cls(
            uuid.uuid4().hex,
            user_id,
            profile_id,
            customer_data,
            cluster,
            cluster_name,
            confidence,
            model_version,
            datetime.now(UTC),
        )

    def to_fields(self) -> dict[str, str]:
        """The stream entry's fields."""
        return {
            "event_id": self.event_id,
            "user_id": str(self.user_id),
            "profile_id": _text(self.profile_id),
            "customer_data": self.customer_data,
            "cluster": _text(self.cluster),
            "cluster_name": self.cluster_name or "",
            "confidence": _text(self.confidence),
            "model_version": self.model_version or "",
            "created_at": self.created_at.isoformat(),
        }

    @classmethod
    def from_fields(cls, fields: Mapping[str, str]) -> HistoryEvent:
        """The event of a stream entry; ValueError (or KeyError, TypeError) when malformed."""
        created = datetime.fromisoformat(fields["created_at"].replace("Z", "+00:00"))
        customer_data = fields.get("customer_data") or "{}"
        if not isinstance(orjson.loads(customer_data), dict):
            raise ValueError("customer_data is not a JSON object")
        return cls(
            event_id=fields["event_id"],
            user_id=int(fields["user_id"]),
            profile_id=_optional(fields.get("profile_id"), int),
            customer_data=customer_data,
            cluster=_optional(fields.get("cluster"), int),
            cluster_name=fields.get("cluster_name") or None,
            confidence=_optional(fields.get("confidence"), float),
            model_version=fields.get("model_version") or None,
            created_at=created if created.tzinfo else created.replace(tzinfo=UTC),
        )


# The columns of a history row, in the order of the event's fields (bulk loads use them).
HISTORY_FIELDS = tuple(f.name for f in fields(HistoryEvent))


def _text(value: float | None) -> str:
    return "" if value is None else str(value)


def _optional(value: str | None, kind: Callable[[str], T]) -> T | None:
    return kind(value) if value else None


def user_deleted_handler(
    sessionmaker: async_sessionmaker[AsyncSession],
    on_deleted: Callable[[AsyncSession, int], Awaitable[object]],
) -> BatchHandler:
    """A USER_EVENTS_STREAM consumer: `on_deleted(session, user_id)` for each `user.deleted`,
    one transaction per batch (the rule it applies must be idempotent: entries may repeat)."""

    async def handle(entries: list[Entry]) -> None:
        async with sessionmaker() as session, session.begin():
            for _, fields in entries:
                if fields.get("type") == USER_DELETED and fields.get("user_id", "").isdigit():
                    await on_deleted(session, int(fields["user_id"]))

    return handle
