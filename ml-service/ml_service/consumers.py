"""Consumes `user.deleted`: a deleted user no longer appears as trainer or dataset owner,
and their webhooks are removed."""

from __future__ import annotations

from segshared.contracts.events import user_deleted_handler
from segshared.streams import BatchHandler
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ml_service import repository
from ml_service.webhooks import repository as webhooks


async def _forget_user(session: AsyncSession, user_id: int) -> None:
    await repository.anonymise_user(session, user_id)
    await webhooks.delete_owned_by(session, user_id)


def user_events_handler(sessionmaker: async_sessionmaker[AsyncSession]) -> BatchHandler:
    """Anonymise each deleted user's rows and drop their webhooks (idempotent)."""
    return user_deleted_handler(sessionmaker, _forget_user)
