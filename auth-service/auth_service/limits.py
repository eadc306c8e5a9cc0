"""Login lockout per account and request limits per client IP (fixed windows in Redis).

A login attempt is reserved atomically (one Lua script) *before* the password is verified,
so any number of simultaneous guesses for one account gets at most the limit verified.
"""

from __future__ import annotations

from redis.asyncio import Redis
from segshared.errors import TooManyRequests

from auth_service.settings import AuthSettings

# KEYS: account failures, IP failures. ARGV: account limit, account window, IP limit,
# IP window. Returns {0, ttl, which} when a budget is spent (nothing reserved), else {1}.
_RESERVE_ATTEMPT = """
for i = 1, 2 do
  local count = tonumber(redis.call('GET', KEYS[i]) or '0')
  if count >= tonumber(ARGV[2 * i - 1]) then
    return {0, redis.call('TTL', KEYS[i]), i}
  end
end
for i = 1, 2 do
  if redis.call('INCR', KEYS[i]) == 1 then redis.call('EXPIRE', KEYS[i], ARGV[2 * i]) end
end
return {1}
"""
# KEYS: account failures, IP failures: a successful login clears the first and gives the
# address its reserved failure back (never below zero, never a key without a TTL).
_REFUND_ATTEMPT = """
redis.call('DEL', KEYS[1])
if tonumber(redis.call('GET', KEYS[2]) or '0') > 0 then redis.call('DECR', KEYS[2]) end
"""


async def _hit(redis: Redis, key: str, window: int) -> tuple[int, int]:
    """Count one event in the window starting at the first one; return (count, ttl)."""
    async with redis.pipeline(transaction=True) as pipe:
        pipe.incr(key)
        pipe.expire(key, window, nx=True)
        pipe.ttl(key)
        count, _, ttl = await pipe.execute()
    return int(count), max(1, int(ttl))


def _account_key(account: str) -> str:
    return f"auth:lockout:{account}"


def _failed_ip_key(ip: str) -> str:
    return f"auth:rl:login-failed:{ip}"


class LoginLimits:
    """Lockout after N failures per account; generous per-IP limits, stricter on failures."""

    def __init__(self, redis: Redis, settings: AuthSettings) -> None:
        self.redis = redis
        self.settings = settings
        self._reserve = redis.register_script(_RESERVE_ATTEMPT)
        self._refund = redis.register_script(_REFUND_ATTEMPT)

    async def check_ip(self, ip: str, action: str) -> None:
        """429 when this IP exceeded its login/registration budget."""
        window = self.settings.ip_rate_window_seconds
        limit = (
            self.settings.register_rate_limit
            if action == "register"
            else self.settings.login_rate_limit
        )
        count, ttl = await _hit(self.redis, f"auth:rl:{action}:{ip}", window)
        if count > limit:
            raise TooManyRequests("Too many requests from this address", retry_after=ttl)

    async def reserve_attempt(self, account: str, ip: str) -> None:
        """Count this attempt as a failure of the account and the address *before* the
        password is checked; 429 with Retry-After when either budget is spent."""
        s = self.settings
        allowed, *rest = await self._reserve(
            keys=[_account_key(account), _failed_ip_key(ip)],
            args=[
                s.lockout_max_failures,
                s.lockout_window_seconds,
                s.failed_login_rate_limit,
                s.ip_rate_window_seconds,
            ],
        )
        if not allowed:
            ttl, which = rest
            message = (
                "Too many failed login attempts. Try again later."
                if which == 1
                else "Too many failed logins from this address"
            )
            raise TooManyRequests(message, retry_after=max(1, int(ttl)))

    async def refund_attempt(self, account: str, ip: str) -> None:
        """The attempt succeeded: forget the account's failures, give the address its back."""
        await self._refund(keys=[_account_key(account), _failed_ip_key(ip)])
