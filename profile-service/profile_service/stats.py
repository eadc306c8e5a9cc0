"""Counts other services ask for (admin dashboard, per-user totals)."""

from __future__ import annotations

import contextlib
from datetime import UTC, date, datetime, timedelta

from redis.asyncio import Redis
from redis.exceptions import RedisError
from segshared.stats_window import Bucket, BucketCount, DayCount
from sqlalchemy.ext.asyncio import AsyncSession

from profile_service import repository
from profile_service.schemas import OverallStats, UserStats


async def for_users(session: AsyncSession, user_ids: list[int]) -> dict[str, UserStats]:
    """Per-user prediction and profile counts, keyed by the id as a string."""
    counts = await repository.counts_for_users(session, sorted(set(user_ids)))
    return {
        str(uid): UserStats(total_predictions=p, total_saved_profiles=s)
        for uid, (p, s) in counts.items()
    }


def bucket_start(day: date, bucket: Bucket) -> date:
    """The first day of the UTC bucket holding `day` (weeks start on Monday, as in ISO 8601)."""
    if bucket == "week":
        return day - timedelta(days=day.weekday())
    if bucket == "month":
        return day.replace(day=1)
    return day


def _next_bucket(start: date, bucket: Bucket) -> date:
    if bucket == "week":
        return start + timedelta(days=7)
    if bucket == "month":
        return (start.replace(day=28) + timedelta(days=4)).replace(day=1)
    return start + timedelta(days=1)


def bucket_starts(first: date, last: date, bucket: Bucket) -> list[date]:
    """Every bucket from the one holding `first` to the one holding `last`, in order."""
    starts, start = [], bucket_start(first, bucket)
    while start <= last:
        starts.append(start)
        start = _next_bucket(start, bucket)
    return starts


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


async def overall(session: AsyncSession, days: int = 7, bucket: Bucket = "day") -> OverallStats:
    """Totals, per-cluster counts of single predictions, the last 7 UTC days, and the
    predictions of the last `days` days per bucket (zero buckets included; the first
    bucket counts only the days inside the window)."""
    today = datetime.now(UTC).date()
    week_start = today - timedelta(days=6)
    window_start = today - timedelta(days=days - 1)
    predictions, profiles, by_cluster, by_day = await repository.overall_counts(
        session, _midnight(week_start)
    )
    per_bucket = await repository.predictions_per_bucket(session, _midnight(window_start), bucket)
    week = [(week_start + timedelta(days=i)).isoformat() for i in range(7)]
    return OverallStats(
        total_predictions=predictions,
        total_profiles=profiles,
        predictions_by_cluster=by_cluster,
        predictions_last_7_days=[DayCount(date=d, count=by_day.get(d, 0)) for d in week],
        predictions_over_time=[
            BucketCount(start=start.isoformat(), count=per_bucket.get(start.isoformat(), 0))
            for start in bucket_starts(window_start, today, bucket)
        ],
    )


async def overall_bounded(
    session: AsyncSession,
    redis: Redis,
    days: int,
    bucket: Bucket,
    exact_rows: int,
    cache_seconds: float,
) -> OverallStats:
    """`overall`, exact on a small history; on a larger one (more than `exact_rows` rows,
    estimated) computed at most once per `cache_seconds` by all replicas together, so
    admin dashboards don't count every history row on each call."""
    if cache_seconds <= 0 or await repository.history_rows_estimate(session) < exact_rows:
        return await overall(session, days, bucket)
    key = f"profile:overall-stats:{days}:{bucket}"
    with contextlib.suppress(RedisError):  # no cache without Redis: counted instead
        if cached := await redis.get(key):
            return OverallStats.model_validate_json(cached)
    result = await overall(session, days, bucket)
    with contextlib.suppress(RedisError):
        await redis.set(key, result.model_dump_json(), px=int(cache_seconds * 1000))
    return result
