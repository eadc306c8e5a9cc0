"""Login lockout per account and request limits per client IP (fixed windows in Redis)."""

from __future__ import annotations

from redis.asyncio import Redis
from segshared.errors import TooManyRequests

from auth_service.settings import AuthSettings


async def _hit(redis: Redis, key: str, window: int) -> tuple[int, int]:
    """Count one event in the window starting at the first one; return (count, ttl)."""
    async with redis.pipeline(transaction=True) as pipe:
        pipe.incr(key)
        pipe.expire(key, window, nx=True)
        pipe.ttl(key)
        count, _, ttl = await pipe.execute()
    return int(count), max(1, int(ttl))


async def _check(redis: Redis, key: str, limit: int, message: str) -> None:
    async with redis.pipeline(transaction=False) as pipe:
        pipe.get(key)
        pipe.ttl(key)
        count, ttl = await pipe.execute()
    if count is not None and int(count) >= limit:
        raise TooManyRequests(message, retry_after=max(1, int(ttl)))


class LoginLimits:
    """Lockout after N failures per account; generous per-IP limits, stricter on failures."""

    def __init__(self, redis: Redis, settings: AuthSettings) -> None:
        self.redis = redis
        self.settings = settings

    async def check_ip(self, ip: str, action: str) -> None:
        """429 when this IP exceeded its login/registration budget (or failed-login one)."""
        window = self.settings.ip_rate_window_seconds
        limit = (
            self.settings.register_rate_limit
            if action == "register"
            else self.settings.login_rate_limit
        )
        count, ttl = await _hit(self.redis, f"auth:rl:{action}:{ip}", window)
        if count > limit:
            raise TooManyRequests("Too many requests from this address", retry_after=ttl)
        if action == "login":
            await _check(
                self.redis,
                f"auth:rl:login-failed:{ip}",
                self.settings.failed_login_rate_limit,
                "Too many failed logins from this address",
            )

    async def check_account(self, account: str) -> None:
        """429 with Retry-After while the account is locked out."""
        await _check(
            self.redis,
            f"auth:lockout:{account}",
            self.settings.lockout_max_failures,
            "Too many failed login attempts. Try again later.",
        )

    async def record_failure(self, account: str, ip: str) -> None:
        """Count a failed login against the account and the address."""
        await _hit(self.redis, f"auth:lockout:{account}", self.settings.lockout_window_seconds)
        await _hit(self.redis, f"auth:rl:login-failed:{ip}", self.settings.ip_rate_window_seconds)

    async def clear_account(self, account: str) -> None:
        """Forget the account's failures after a successful login."""
        await self.redis.delete(f"auth:lockout:{account}")
