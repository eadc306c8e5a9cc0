"""Counts other services ask for (admin dashboard, per-user totals)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from profile_service import repository
from profile_service.schemas import DayCount, OverallStats, UserStats


async def for_users(session: AsyncSession, user_ids: list[int]) -> dict[str, UserStats]:
    """Per-user prediction and profile counts, keyed by the id as a string."""
    counts = await repository.counts_for_users(session, sorted(set(user_ids)))
    return {
        str(uid): UserStats(total_predictions=p, total_saved_profiles=s)
        for uid, (p, s) in counts.items()
    }


async def overall(session: AsyncSession) -> OverallStats:
    """Totals, per-cluster counts of single predictions, and the last 7 UTC days."""
    today = datetime.now(UTC).date()
    first = today - timedelta(days=6)
    since = datetime(first.year, first.month, first.day, tzinfo=UTC)
    predictions, profiles, by_cluster, by_day = await repository.overall_counts(session, since)
    days = [(first + timedelta(days=i)).isoformat() for i in range(7)]
    return OverallStats(
        total_predictions=predictions,
        total_profiles=profiles,
        predictions_by_cluster=by_cluster,
        predictions_last_7_days=[DayCount(date=d, count=by_day.get(d, 0)) for d in days],
    )
