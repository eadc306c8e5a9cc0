"""Daily API-key usage counters."""

from __future__ import annotations

from datetime import UTC, datetime

from redis.asyncio import Redis
from segshared.contracts.quota import record_usage, seconds_until_utc_midnight, usage_today


class TestQuota:
    async def test_usage_accumulates_and_expires_after_midnight(self, redis: Redis) -> None:
        assert await usage_today(redis, 1) == 0
        assert await record_usage(redis, 1, 1) == 1
        assert await record_usage(redis, 1, 250) == 251
        assert await usage_today(redis, 1) == 251
        assert await usage_today(redis, 2) == 0

    def test_seconds_until_midnight(self) -> None:
        assert seconds_until_utc_midnight(datetime(2026, 1, 1, 23, 59, 30, tzinfo=UTC)) == 30
        assert seconds_until_utc_midnight(datetime(2026, 1, 1, 0, 0, 0, tzinfo=UTC)) == 86400
