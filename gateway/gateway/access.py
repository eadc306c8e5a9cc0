"""Edge authorization: credentials → verified claims, revocation, role, limits, quota.

All Redis reads and counter updates of one request go in a single pipeline round trip.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis
from segshared.contracts.quota import seconds_until_utc_midnight, usage_key
from segshared.contracts.revocation import check_revocation, revocation_keys
from segshared.errors import Forbidden, TooManyRequests, Unauthorized
from segshared.tokens import Claims, TokenVerifier, bearer_token, role_rank
from starlette.requests import Request

from gateway.api_keys import ApiKeyExchanger, api_key_from
from gateway.route_table import Route
from gateway.settings import GatewaySettings

# One round trip for everything a request needs from Redis: the revocation (and quota)
# values, and the rate-limit counters. KEYS = value keys..., counters...; ARGV[1] = how
# many value keys. Returns the values, then each counter's new count.
_ADMIT_SCRIPT = """
local n = tonumber(ARGV[1])
local values = {}
if n > 0 then values = redis.call('MGET', unpack(KEYS, 1, n)) end
for i = n + 1, #KEYS do
  local count = redis.call('INCR', KEYS[i])
  if count == 1 then redis.call('EXPIRE', KEYS[i], 61) end
  values[i] = count
end
return values
"""


@dataclass(frozen=True, slots=True)
class Caller:
    """Who is calling: their claims and the bearer token to forward (None when public)."""

    claims: Claims | None
    token: str | None


@dataclass(frozen=True, slots=True)
class AdmitResult:
    """What the admission round trip read: revocation values, quota usage, counters."""

    revocation_values: list[str | None]  # the MGET of `revocation_keys`, in order
    quota_used: int | None
    user_count: int
    ip_count: int

    @classmethod
    def from_reply(cls, reply: list[Any], metered: bool) -> AdmitResult:
        """Split the script's reply: values (the usage last when metered), then counters."""
        *values, user_count, ip_count = reply
        usage = values.pop() if metered else None
        return cls(
            revocation_values=values,
            quota_used=int(usage or 0) if metered else None,
            user_count=int(user_count or 0),
            ip_count=int(ip_count or 0),
        )


class EdgeGuard:
    """Authenticates, authorizes and meters every proxied request."""

    def __init__(
        self,
        settings: GatewaySettings,
        verifier: TokenVerifier,
        redis: Redis,
        exchanger: ApiKeyExchanger,
    ) -> None:
        self.settings = settings
        self.verifier = verifier
        self.redis = redis
        self.exchanger = exchanger
        self._admit = redis.register_script(_ADMIT_SCRIPT)

    async def admit(self, request: Request, route: Route) -> Caller:
        """The caller if allowed; raise 401/403/429 otherwise."""
        ip = request.client.host if request.client else "unknown"
        window = int(time.time() // 60)
        retry_after = 60 - int(time.time() % 60)
        ip_key = f"gw:rl:ip:{ip}:{window}"
        if route.access == "public":
            [count] = await self._admit(keys=[ip_key], args=[0])
            self._check_limit(int(count), self.settings.rate_limit_ip_per_minute, retry_after)
            return Caller(None, None)

        bearer = bearer_token(request.headers.get("authorization"))
        key = api_key_from(request.headers, bearer)
        quota = None
        if key is not None:
            key_token = await self.exchanger.token_for(key)
            token, quota = key_token.access_token, key_token.daily_quota
        elif bearer is not None:
            token = bearer
        else:
            raise Unauthorized("Not authenticated")
        claims = await self.verifier.verify(token)

        keys = revocation_keys(claims)
        metered = route.metered and quota is not None and claims.api_key_id is not None
        if metered:
            keys.append(usage_key(claims.api_key_id or 0))
        user_key = f"gw:rl:user:{claims.user_id}:{window}"
        reply = await self._admit(keys=[*keys, user_key, ip_key], args=[len(keys)])
        admitted = AdmitResult.from_reply(reply, metered)
        check_revocation(claims, admitted.revocation_values)
        if role_rank(claims.role) < role_rank(route.access):
            raise Forbidden("Not enough permissions")
        self._check_limit(
            admitted.user_count, self.settings.rate_limit_user_per_minute, retry_after
        )
        self._check_limit(admitted.ip_count, self.settings.rate_limit_ip_per_minute, retry_after)
        if quota is not None and admitted.quota_used is not None and admitted.quota_used >= quota:
            raise TooManyRequests(
                "Daily API key quota exhausted", retry_after=seconds_until_utc_midnight()
            )
        return Caller(claims, token)

    @staticmethod
    def _check_limit(count: int, limit: int, retry_after: int) -> None:
        if count > limit:
            raise TooManyRequests("Rate limit exceeded", retry_after=retry_after)
