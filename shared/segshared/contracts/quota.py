"""Daily API-key usage counters in Redis, reset at 00:00 UTC.

The gateway refuses a key whose usage reached its quota; the service that knows how
many prediction rows a call produced (ml-service) records them.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from redis.asyncio import Redis


def seconds_until_utc_midnight(now: datetime | None = None) -> int:
    """Whole seconds (>= 1) until the next 00:00 UTC."""
    now = now or datetime.now(UTC)
    midnight = (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return max(1, int((midnight - now).total_seconds()))


def usage_key(api_key_id: int, now: datetime | None = None) -> str:
    """Key of today's (UTC) usage counter for one API key."""
    day = (now or datetime.now(UTC)).strftime("%Y%m%d")
    return f"auth:apikey:usage:{api_key_id}:{day}"


async def record_usage(redis: Redis, api_key_id: int, rows: int) -> int:
    """Add `rows` metered calls to today's counter; return the new total."""
    key = usage_key(api_key_id)
    async with redis.pipeline(transaction=True) as pipe:
        pipe.incrby(key, rows)
        pipe.expire(key, seconds_until_utc_midnight() + 3600)
        total, _ = await pipe.execute()
    return int(total)


async def usage_today(redis: Redis, api_key_id: int) -> int:
    """Metered calls made today (UTC) with this key."""
    value = await redis.get(usage_key(api_key_id))
    return int(value or 0)
