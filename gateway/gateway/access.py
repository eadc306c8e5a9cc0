"""Edge authorization: credentials → verified claims, revocation, role, scope, limits.

All Redis reads and counter updates of one request go in a single script call, and the
calls of every request admitted in the same event-loop turn share one pipeline round trip
(one write and one read for all of them: py-spy put the per-request round trip's socket
calls and client code at ~15 % of the gateway's CPU). An API key not in the cache costs
one more round trip (its per-address exchange budget) before auth-service is asked, so
unknown credentials can't be turned into internal load.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import NoScriptError
from segshared.clientip import client_address, in_networks
from segshared.contracts.revocation import check_revocation, revocation_keys
from segshared.errors import Forbidden, TooManyRequests, Unauthorized
from segshared.tokens import Claims, TokenVerifier, bearer_token, role_rank
from starlette.requests import Request

from gateway.api_keys import ApiKeyExchanger, KeyToken, api_key_from
from gateway.route_table import ANY_KEY, Route, key_scope
from gateway.settings import GatewaySettings

# One round trip for everything a request needs from Redis: the revocation values and
# both rate-limit counters. KEYS = value keys..., user counter, IP counter.
_ADMIT_SCRIPT = """
local n = tonumber(ARGV[1])
local values = redis.call('MGET', unpack(KEYS, 1, n))
for i = 1, 2 do
  local count = redis.call('INCR', KEYS[n + i])
  if count == 1 then redis.call('EXPIRE', KEYS[n + i], 61) end
  values[n + i] = count
end
return values
"""


@dataclass(frozen=True, slots=True)
class Caller:
    """Who is calling: their claims, the bearer token to forward (None when public), the
    client's address, and the API key's daily quota when the call is made with one."""

    claims: Claims | None
    token: str | None
    ip: str
    daily_quota: int | None = None


@dataclass(frozen=True, slots=True)
class AdmitResult:
    """What the admission round trip read: revocation values, then both counters."""

    revocation_values: list[str | None]  # the MGET of `revocation_keys`, in order
    user_count: int
    ip_count: int

    @classmethod
    def from_reply(cls, reply: list[Any]) -> AdmitResult:
        """Split the script's reply: the values, then the user and IP counters."""
        *values, user_count, ip_count = reply
        return cls(values, int(user_count or 0), int(ip_count or 0))


# One waiting admission: its keys, how many of them are MGET values, its answer.
_Pending = tuple[list[str], int, "asyncio.Future[list[Any]]"]


class _AdmitBatcher:
    """Runs the admission script for every request of one event-loop turn in one pipeline."""

    def __init__(self, redis: Redis) -> None:
        self._redis = redis
        self._sha = redis.register_script(_ADMIT_SCRIPT).sha
        self._pending: list[_Pending] = []
        self._sending: set[asyncio.Task[None]] = set()

    async def run(self, keys: list[str], values: int) -> list[Any]:
        """The script's reply for `keys`, the first `values` of them read with MGET."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[list[Any]] = loop.create_future()
        if not self._pending:  # the first of this turn: the task starts on the next one
            task = loop.create_task(self._send())
            self._sending.add(task)  # the loop keeps only a weak reference
            task.add_done_callback(self._sending.discard)
        self._pending.append((keys, values, future))
        return await future

    async def _send(self) -> None:
        batch, self._pending = self._pending, []
        try:
            replies = await self._pipeline(batch)
            if any(isinstance(reply, NoScriptError) for reply in replies):
                await self._redis.script_load(_ADMIT_SCRIPT)  # a restarted Redis forgot it
                replies = await self._pipeline(batch)
        except Exception as exc:  # Redis down, pool exhausted: every caller hears it
            replies = [exc] * len(batch)
        except BaseException:
            for _, _, future in batch:
                future.cancel()
            raise
        for (_, _, future), reply in zip(batch, replies, strict=True):
            if future.done():
                continue
            if isinstance(reply, Exception):
                future.set_exception(reply)
            else:
                future.set_result(reply)

    async def _pipeline(self, batch: list[_Pending]) -> list[Any]:
        async with self._redis.pipeline(transaction=False) as pipe:
            for keys, values, _ in batch:
                pipe.evalsha(self._sha, len(keys), *keys, values)
            return await pipe.execute(raise_on_error=False)


class EdgeGuard:
    """Authenticates, authorizes and rate-limits every proxied request."""

    def __init__(
        self,
        settings: GatewaySettings,
        token_verifier: TokenVerifier,
        redis: Redis,
        exchanger: ApiKeyExchanger,
    ) -> None:
        self.settings = settings
        self.token_verifier = token_verifier
        self.redis = redis
        self.exchanger = exchanger
        self._admit = _AdmitBatcher(redis)

    def client_ip(self, request: Request) -> str:
        """The client's address (X-Forwarded-For believed only through TRUSTED_PROXIES)."""
        peer = request.client.host if request.client else None
        return client_address(
            peer, request.headers.getlist("x-forwarded-for"), self.settings.trusted_proxy_networks
        )

    async def admit(self, request: Request, route: Route) -> Caller:
        """The caller if allowed; raise 401/403/429 otherwise."""
        ip = self.client_ip(request)
        window = int(time.time() // 60)
        if route.access == "public":
            count = await self._count(f"gw:rl:ip:{ip}:{window}")
            self._check_limit(count, self.settings.rate_limit_ip_per_minute)
            return Caller(None, None, ip)

        bearer = bearer_token(request.headers.get("authorization"))
        key = api_key_from(request.headers, bearer)
        if key is None and bearer is None:
            raise Unauthorized("Not authenticated")
        if key is None:
            assert bearer is not None
            claims = await self._verify(bearer, ip, window)
            await self._check(claims, route, ip, window)
            return Caller(claims, bearer, ip)

        key_token = await self._key_token(key, ip, window)
        claims = await self._verify(key_token.access_token, ip, window)
        try:
            await self._check(claims, route, ip, window)
        except Unauthorized:
            # The cached token was revoked (password or role change): exchange once more;
            # a revoked key or deactivated owner is refused by auth-service itself.
            self.exchanger.forget(key)
            key_token = await self._key_token(key, ip, window)
            claims = await self._verify(key_token.access_token, ip, window)
            await self._check(claims, route, ip, window)
        if key_token.allowed_ips is not None and not in_networks(ip, key_token.allowed_ips):
            raise Forbidden("This API key is not allowed from this address")
        scope = key_scope(route, request.method, request.url.path)
        if scope is None:
            raise Forbidden("API keys cannot manage keys, the account or admin routes")
        if scope != ANY_KEY and scope not in claims.scopes:
            raise Forbidden(f"This API key lacks the '{scope}' scope")
        return Caller(claims, key_token.access_token, ip, key_token.daily_quota)

    async def _key_token(self, key: str, ip: str, window: int) -> KeyToken:
        cached = self.exchanger.cached(key)  # 401 for a malformed or recently refused key
        if cached is not None:
            return cached
        # Spend the address's exchange budget *before* asking auth-service.
        count = await self._count(f"gw:rl:exchange:{ip}:{window}")
        self._check_limit(count, self.settings.api_key_exchanges_per_ip_per_minute)
        return await self.exchanger.exchange(key)

    async def _verify(self, token: str, ip: str, window: int) -> Claims:
        """Verified claims (a local signature check, no internal call). Bad tokens count
        against the address, which gets 429 instead of 401 once it sent too many."""
        try:
            return await self.token_verifier.verify(token)
        except Unauthorized:
            failures = await self._count(f"gw:rl:badtoken:{ip}:{window}")
            if failures > self.settings.bad_tokens_per_ip_per_minute:
                raise TooManyRequests(
                    "Too many invalid credentials", retry_after=_retry_after()
                ) from None
            raise

    async def _check(self, claims: Claims, route: Route, ip: str, window: int) -> None:
        keys = revocation_keys(claims)
        user_key = f"gw:rl:user:{claims.user_id}:{window}"
        ip_key = f"gw:rl:ip:{ip}:{window}"
        reply = await self._admit.run([*keys, user_key, ip_key], len(keys))
        admitted = AdmitResult.from_reply(reply)
        check_revocation(claims, admitted.revocation_values)
        if role_rank(claims.role) < role_rank(route.access):
            raise Forbidden("Not enough permissions")
        self._check_limit(admitted.user_count, self.settings.rate_limit_user_per_minute)
        self._check_limit(admitted.ip_count, self.settings.rate_limit_ip_per_minute)

    async def _count(self, key: str) -> int:
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.incr(key)
            pipe.expire(key, 61, nx=True)
            count, _ = await pipe.execute()
        return int(count)

    @staticmethod
    def _check_limit(count: int, limit: int) -> None:
        if count > limit:
            raise TooManyRequests("Rate limit exceeded", retry_after=_retry_after())


def _retry_after() -> int:
    return 60 - int(time.time() % 60)
