"""Names of the Redis streams and channels the services exchange events on.

Event fields are flat strings (Redis stream entries); JSON-valued fields say so. With
tracing on, every event also carries `traceparent` (segshared.tracing.trace_fields).
- HISTORY_STREAM (ml → profile): event_id, user_id, profile_id ("" if none),
  customer_data (JSON), cluster ("" for a batch), cluster_name, confidence,
  model_version, created_at (ISO 8601 UTC).
- USER_EVENTS_STREAM (auth outbox relay → profile, ml): event_id, type
  ("user.deleted"), user_id, occurred_at.
- MODEL_PUBLISHED_CHANNEL (pub/sub, ml → ml replicas): the new version string.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from segshared.streams import BatchHandler, Entry

HISTORY_STREAM = "stream:prediction-history"
USER_EVENTS_STREAM = "stream:user-events"
USER_DELETED = "user.deleted"
MODEL_PUBLISHED_CHANNEL = "model.published"


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
