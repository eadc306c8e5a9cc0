"""Outbox: events written with the change, relayed to Redis streams at least once."""

from __future__ import annotations

import asyncio
import logging
import uuid

from redis.asyncio import Redis
from segshared.contracts.events import USER_DELETED, USER_EVENTS_STREAM
from segshared.retry import Backoff
from segshared.tracing import trace_fields
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from auth_service import repository
from auth_service.tables import OutboxEvent, utcnow

logger = logging.getLogger("auth_service.outbox")


def add_user_deleted(session: AsyncSession, user_id: int) -> None:
    """Queue `user.deleted` in the same transaction as the deletion (with the trace
    context, so the consumers continue the deleting request's trace)."""
    event = OutboxEvent(
        event_id=uuid.uuid4().hex,
        event_type=USER_DELETED,
        payload={"user_id": user_id, "trace": trace_fields()},
    )
    session.add(event)


async def relay_once(sessionmaker: async_sessionmaker[AsyncSession], redis: Redis) -> int:
    """Publish pending events, then mark them published; return how many."""
    async with sessionmaker() as session, session.begin():
        events = await repository.pending_outbox(session)
        for event in events:
            await redis.xadd(
                USER_EVENTS_STREAM,
                {
                    "event_id": event.event_id,
                    "type": event.event_type,
                    "user_id": str(event.payload.get("user_id", "")),
                    "occurred_at": event.created_at.isoformat(),
                    **event.payload.get("trace", {}),
                },
            )
            event.published_at = utcnow()
        return len(events)


async def run_relay(
    sessionmaker: async_sessionmaker[AsyncSession], redis: Redis, interval: float
) -> None:
    """Relay forever; a failure (Redis or the database down) is logged and retried with
    capped, jittered backoff while the events stay pending in the outbox."""
    backoff = Backoff(interval, 30.0)
    while True:
        delay = interval
        try:
            if await relay_once(sessionmaker, redis):
                backoff.reset()
                continue
            backoff.reset()
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            delay = backoff.next()
            logger.warning(
                "outbox relay failed (%s: %s); retrying in %.1fs", type(exc).__name__, exc, delay
            )
        await asyncio.sleep(delay)
