"""Stores prediction events from the history stream: batched, idempotent, acked after commit."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

import orjson
from segshared.contracts.events import user_deleted_handler
from segshared.streams import BatchHandler, Entry
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from profile_service import repository

logger = logging.getLogger("profile_service.consumers")


def _optional(value: str | None, kind: type) -> Any:
    return None if value in (None, "") else kind(value)


def _json_object(text: str) -> str:
    """The JSON text itself, once checked to be an object (stored as-is, not re-encoded)."""
    if not isinstance(orjson.loads(text), dict):  # orjson: ~4x json's speed on this path
        raise ValueError("customer_data is not a JSON object")
    return text


def row_from_event(fields: dict[str, str]) -> dict[str, Any] | None:
    """A history row from a stream entry's fields (see docs/internal-contracts.md)."""
    try:
        created = datetime.fromisoformat(fields["created_at"].replace("Z", "+00:00"))
        return {
            "event_id": fields["event_id"],
            "user_id": int(fields["user_id"]),
            "profile_id": _optional(fields.get("profile_id"), int),
            "customer_data": _json_object(fields.get("customer_data") or "{}"),
            "cluster": _optional(fields.get("cluster"), int),
            "cluster_name": fields.get("cluster_name") or None,
            "confidence": _optional(fields.get("confidence"), float),
            "model_version": fields.get("model_version") or None,
            "created_at": created if created.tzinfo else created.replace(tzinfo=UTC),
        }
    except (KeyError, ValueError, TypeError):
        # A malformed event can never succeed: log it and let it be acked, not retried forever.
        logger.error("dropping malformed history event", extra={"fields": {"event": fields}})
        return None


def history_handler(sessionmaker: async_sessionmaker[AsyncSession]) -> BatchHandler:
    """The StreamConsumer handler: one transaction and one INSERT per batch."""

    async def store(entries: list[Entry]) -> None:
        rows = [row for _, fields in entries if (row := row_from_event(fields)) is not None]
        # The same event twice in one batch would make the multi-row insert ambiguous.
        unique = list({row["event_id"]: row for row in rows}.values())
        async with sessionmaker() as session, session.begin():
            await repository.insert_history(session, unique)

    return store


def user_events_handler(sessionmaker: async_sessionmaker[AsyncSession]) -> BatchHandler:
    """Deletes a deleted user's profiles and history (idempotent)."""
    return user_deleted_handler(sessionmaker, repository.delete_user_data)
