"""Retention: relayed outbox events and old audit entries are deleted periodically."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from auth_service import repository
from auth_service.settings import AuthSettings
from auth_service.tables import utcnow

logger = logging.getLogger("auth_service.retention")

# Rows deleted per transaction: short locks and WAL bursts on a table that grew large.
PRUNE_BATCH = 5_000


@dataclass(frozen=True)
class Pruned:
    outbox: int
    audit: int


async def _prune(
    sessionmaker: async_sessionmaker[AsyncSession],
    delete_batch: Callable[[AsyncSession, datetime, int], Awaitable[int]],
    before: datetime,
) -> int:
    total = 0
    while True:
        async with sessionmaker() as session, session.begin():
            deleted = await delete_batch(session, before, PRUNE_BATCH)
        total += deleted
        if deleted < PRUNE_BATCH:
            return total


async def prune_once(
    sessionmaker: async_sessionmaker[AsyncSession], settings: AuthSettings
) -> Pruned:
    """Delete outbox events relayed more than OUTBOX_RETENTION_DAYS ago (unrelayed ones are
    kept) and audit entries older than AUDIT_RETENTION_DAYS."""
    now = utcnow()
    return Pruned(
        outbox=await _prune(
            sessionmaker,
            repository.prune_published_outbox,
            now - timedelta(days=settings.outbox_retention_days),
        ),
        audit=await _prune(
            sessionmaker,
            repository.prune_audit,
            now - timedelta(days=settings.audit_retention_days),
        ),
    )


async def run_pruning(
    sessionmaker: async_sessionmaker[AsyncSession], settings: AuthSettings
) -> None:
    """Prune every RETENTION_PRUNE_SECONDS forever; a failure is logged and retried then."""
    while True:
        try:
            pruned = await prune_once(sessionmaker, settings)
            if pruned.outbox or pruned.audit:
                logger.info(
                    "pruned %d outbox events and %d audit entries", pruned.outbox, pruned.audit
                )
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            logger.warning("retention pruning failed (%s: %s)", type(exc).__name__, exc)
        await asyncio.sleep(settings.retention_prune_seconds)
