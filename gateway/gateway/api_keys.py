"""API keys at the edge: exchanged once at auth-service for a short-lived token, cached.

Unknown keys are cheap to refuse: a value that doesn't look like a key never reaches
auth-service, and a refused key is remembered for a short while (negative cache).
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TypeVar

from segshared.clientip import Networks, parse_networks
from segshared.errors import ServiceUnavailable, Unauthorized
from segshared.internal_client import InternalClient

_REFRESH_MARGIN_SECONDS = 30
V = TypeVar("V")
# auth-service mints `seg_<8 hex>_<43 urlsafe>`; anything far from that shape is refused here.
_KEY_SHAPE = re.compile(r"seg_[A-Za-z0-9_-]{8,120}")


@dataclass(frozen=True, slots=True)
class KeyToken:
    """The access token standing for an API key, and the key's limits."""

    access_token: str
    daily_quota: int | None
    valid_until: float
    allowed_ips: Networks | None = None


class ApiKeyExchanger:
    """Turns an API key into a bearer token; one auth-service call per key per token life."""

    def __init__(self, auth: InternalClient, cache_size: int, negative_ttl: float) -> None:
        self._auth = auth
        self._cache: dict[str, KeyToken] = {}
        self._refused: dict[str, float] = {}
        self._cache_size = cache_size
        self._negative_ttl = negative_ttl

    @staticmethod
    def digest(key: str) -> str:
        """The cache key of an API key (never the key itself)."""
        return hashlib.sha256(key.encode()).hexdigest()

    def cached(self, key: str) -> KeyToken | None:
        """The live cached token for `key`; raise 401 for a malformed or recently refused key."""
        if not _KEY_SHAPE.fullmatch(key):
            raise Unauthorized("Invalid API key")
        digest = self.digest(key)
        refused_until = self._refused.get(digest)
        if refused_until is not None:
            if refused_until > time.monotonic():
                raise Unauthorized("Invalid API key")
            del self._refused[digest]
        cached = self._cache.get(digest)
        if cached is not None and cached.valid_until > time.time():
            return cached
        return None

    def forget(self, key: str) -> None:
        """Drop the cached token (it was revoked: a password or role change, say)."""
        self._cache.pop(self.digest(key), None)

    async def exchange(self, key: str) -> KeyToken:
        """Ask auth-service for a token for `key` and cache it (or the refusal)."""
        digest = self.digest(key)
        response = await self._auth.request(
            "POST", "/internal/api-keys/exchange", json={"key": key}
        )
        if response.status_code in (401, 404, 422):
            self._cache.pop(digest, None)
            _bounded_put(
                self._refused, digest, time.monotonic() + self._negative_ttl, self._cache_size
            )
            raise Unauthorized("Invalid API key")
        if response.status_code != 200:
            raise ServiceUnavailable("auth service unavailable")
        body = response.json()
        allowed = body.get("allowed_ips")
        token = KeyToken(
            access_token=body["access_token"],
            daily_quota=body.get("daily_quota"),
            valid_until=time.time() + int(body["expires_in"]) - _REFRESH_MARGIN_SECONDS,
            allowed_ips=parse_networks(",".join(allowed)) if allowed is not None else None,
        )
        _bounded_put(self._cache, digest, token, self._cache_size)
        return token


def _bounded_put(cache: dict[str, V], key: str, value: V, size: int) -> None:
    if key not in cache and len(cache) >= size:
        cache.pop(next(iter(cache)))
    cache[key] = value


def api_key_from(headers: Mapping[str, str], bearer: str | None) -> str | None:
    """The API key of a request: `X-API-Key`, or a bearer value that isn't a JWT."""
    explicit = headers.get("x-api-key")
    if explicit:
        return explicit.strip()
    if bearer and bearer.count(".") != 2:
        return bearer
    return None
