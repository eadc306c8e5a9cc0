"""Retention: relayed outbox events and old audit entries don't accumulate for ever."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from auth_service import retention
from auth_service.settings import AuthSettings
from auth_service.tables import AuditEntry, OutboxEvent, utcnow
from fastapi import FastAPI
from sqlalchemy import select


class TestRetention:
    async def test_old_relayed_events_and_old_audit_entries_are_pruned(
        self, app: FastAPI, settings: AuthSettings, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Review L13: deleted in batches (repeated until done), recent ones kept."""
        monkeypatch.setattr(retention, "PRUNE_BATCH", 2)
        now = utcnow()
        month_ago, two_years_ago = now - timedelta(days=30), now - timedelta(days=730)

        def event(event_id: str, published_at: object) -> OutboxEvent:
            return OutboxEvent(
                event_id=event_id,
                event_type="user.deleted",
                payload={},
                created_at=month_ago,
                published_at=published_at,
            )

        async with app.state.sessionmaker() as session, session.begin():
            session.add_all([event(f"sent-long-ago-{i}", month_ago) for i in range(3)])
            session.add(event("sent-just-now", now - timedelta(hours=1)))
            session.add_all(
                [AuditEntry(action="login", created_at=two_years_ago) for _ in range(5)]
            )
            session.add(AuditEntry(action="login", created_at=now - timedelta(days=1)))
        pruned = await retention.prune_once(app.state.sessionmaker, settings)
        assert pruned == retention.Pruned(outbox=3, audit=5)
        async with app.state.sessionmaker() as session:
            events = set((await session.execute(select(OutboxEvent.event_id))).scalars())
            audit = (await session.execute(select(AuditEntry.created_at))).scalars().all()
        assert events == {"sent-just-now"}
        assert len(audit) == 1 and audit[0] > two_years_ago

    async def test_every_replica_prunes_periodically(self, app: FastAPI) -> None:
        assert any(task.get_name() == "retention" for task in asyncio.all_tasks())
