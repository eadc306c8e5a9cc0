"""Consumes `user.deleted`: a deleted user no longer appears as trainer or dataset owner."""

from __future__ import annotations

from segshared.events import USER_DELETED
from segshared.streams import BatchHandler, Entry
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ml_service import repository


def user_events_handler(sessionmaker: async_sessionmaker[AsyncSession]) -> BatchHandler:
    """Anonymise each deleted user's rows (idempotent)."""

    async def handle(entries: list[Entry]) -> None:
        async with sessionmaker() as session, session.begin():
            for _, fields in entries:
                if fields.get("type") == USER_DELETED and fields.get("user_id", "").isdigit():
                    await repository.anonymise_user(session, int(fields["user_id"]))

    return handle
