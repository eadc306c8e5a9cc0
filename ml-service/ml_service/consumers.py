"""Consumes `user.deleted`: a deleted user no longer appears as trainer or dataset owner."""

from __future__ import annotations

from segshared.contracts.events import user_deleted_handler
from segshared.streams import BatchHandler
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ml_service import repository


def user_events_handler(sessionmaker: async_sessionmaker[AsyncSession]) -> BatchHandler:
    """Anonymise each deleted user's rows (idempotent)."""
    return user_deleted_handler(sessionmaker, repository.anonymise_user)
