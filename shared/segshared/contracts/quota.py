"""Daily API-key usage counters in Redis, reset at 00:00 UTC.

The gateway reserves a call's rows against the key's quota atomically *before* the call
(one Lua script, so concurrent calls can't overspend) and refunds what went unused.
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


# ml-service tells the gateway how many rows a batch predicted; the rest is refunded.
PREDICTED_ROWS_HEADER = "x-predicted-rows"

# KEYS: usage counter. ARGV: rows, quota, ttl. {1, left} when reserved, {0, left} when not.
_RESERVE = """
local used = tonumber(redis.call('GET', KEYS[1]) or '0')
local rows, quota = tonumber(ARGV[1]), tonumber(ARGV[2])
if used + rows > quota then return {0, math.max(0, quota - used)} end
redis.call('INCRBY', KEYS[1], rows)
redis.call('EXPIRE', KEYS[1], ARGV[3])
return {1, quota - used - rows}
"""
# KEYS: usage counter. ARGV: rows to give back (never below zero).
_REFUND = """
local used = tonumber(redis.call('GET', KEYS[1]) or '0')
local back = math.min(used, tonumber(ARGV[1]))
if back > 0 then redis.call('DECRBY', KEYS[1], back) end
return back
"""


class QuotaMeter:
    """Atomic reserve/refund of rows against API keys' daily quotas."""

    def __init__(self, redis: Redis) -> None:
        self._reserve = redis.register_script(_RESERVE)
        self._refund = redis.register_script(_REFUND)

    async def reserve(self, api_key_id: int, rows: int, quota: int) -> int | None:
        """Take `rows` of today's quota: the rows left after it, or None (nothing taken)
        when they don't fit."""
        ttl = seconds_until_utc_midnight() + 3600
        ok, left = await self._reserve(keys=[usage_key(api_key_id)], args=[rows, quota, ttl])
        return int(left) if ok else None

    async def refund(self, api_key_id: int, rows: int) -> None:
        """Give back reserved rows that were not used."""
        if rows > 0:
            await self._refund(keys=[usage_key(api_key_id)], args=[rows])


async def usage_today(redis: Redis, api_key_id: int) -> int:
    """Metered calls made today (UTC) with this key."""
    value = await redis.get(usage_key(api_key_id))
    return int(value or 0)
