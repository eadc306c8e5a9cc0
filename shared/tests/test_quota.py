"""Daily API-key usage counters."""

from __future__ import annotations

from datetime import UTC, datetime

from redis.asyncio import Redis
from segshared.contracts.quota import QuotaMeter, seconds_until_utc_midnight, usage_today
from segshared.testing import record_usage


class TestQuota:
    async def test_usage_accumulates_and_expires_after_midnight(self, redis: Redis) -> None:
        assert await usage_today(redis, 1) == 0
        assert await record_usage(redis, 1, 1) == 1
        assert await record_usage(redis, 1, 250) == 251
        assert await usage_today(redis, 1) == 251
        assert await usage_today(redis, 2) == 0
        assert 0 < await redis.ttl(f"auth:apikey:usage:1:{datetime.now(UTC):%Y%m%d}") <= 90_000

    async def test_meter_reserves_within_the_quota_and_refunds(self, redis: Redis) -> None:
        meter = QuotaMeter(redis)
        assert await meter.reserve(7, 8, quota=10) == 2
        assert await meter.reserve(7, 3, quota=10) is None  # nothing taken
        assert await usage_today(redis, 7) == 8
        await meter.refund(7, 5)
        assert await usage_today(redis, 7) == 3
        await meter.refund(7, 50)  # never below zero
        assert await usage_today(redis, 7) == 0

    def test_seconds_until_midnight(self) -> None:
        assert seconds_until_utc_midnight(datetime(2026, 1, 1, 23, 59, 30, tzinfo=UTC)) == 30
        assert seconds_until_utc_midnight(datetime(2026, 1, 1, 0, 0, 0, tzinfo=UTC)) == 86400
