"""Stores prediction events from the history stream: batched, idempotent, acked after commit."""

from __future__ import annotations

import logging

from segshared.contracts.events import HistoryEvent, user_deleted_handler
from segshared.streams import BatchHandler, Entry
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from profile_service import repository

logger = logging.getLogger("profile_service.consumers")


def event_from_fields(fields: dict[str, str]) -> HistoryEvent | None:
    """The stream entry's event, or None (logged) when it is malformed."""
    try:
        return HistoryEvent.from_fields(fields)
    except (KeyError, ValueError, TypeError):
        # A malformed event can never succeed: log it and let it be acked, not retried forever.
        logger.error("dropping malformed history event", extra={"fields": {"event": fields}})
        return None


def history_handler(sessionmaker: async_sessionmaker[AsyncSession]) -> BatchHandler:
    """The StreamConsumer handler: one transaction and one INSERT per batch."""

    async def store(entries: list[Entry]) -> None:
        events = [e for _, fields in entries if (e := event_from_fields(fields)) is not None]
        # The same event twice in one batch would make the multi-row insert ambiguous.
        unique = list({event.event_id: event for event in events}.values())
        async with sessionmaker() as session, session.begin():
            await repository.insert_history(session, unique)

    return store


def user_events_handler(sessionmaker: async_sessionmaker[AsyncSession]) -> BatchHandler:
    """Deletes a deleted user's profiles and history (idempotent)."""
    return user_deleted_handler(sessionmaker, repository.delete_user_data)
