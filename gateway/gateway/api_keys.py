"""API keys at the edge: exchanged once at auth-service for a short-lived token, cached."""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass

from segshared.errors import ServiceUnavailable, Unauthorized
from segshared.internal_client import InternalClient

_REFRESH_MARGIN_SECONDS = 30


@dataclass(frozen=True, slots=True)
class KeyToken:
    """The access token standing for an API key, and the key's quota."""

    access_token: str
    daily_quota: int | None
    valid_until: float


class ApiKeyExchanger:
    """Turns an API key into a bearer token; one auth-service call per key per token life."""

    def __init__(self, auth: InternalClient, cache_size: int) -> None:
        self._auth = auth
        self._cache: dict[str, KeyToken] = {}
        self._cache_size = cache_size

    async def token_for(self, key: str) -> KeyToken:
        """The cached token for `key`, exchanging it when missing or about to expire."""
        digest = hashlib.sha256(key.encode()).hexdigest()
        cached = self._cache.get(digest)
        if cached is not None and cached.valid_until > time.time():
            return cached
        response = await self._auth.request(
            "POST", "/internal/api-keys/exchange", json={"key": key}
        )
        if response.status_code in (401, 404, 422):
            self._cache.pop(digest, None)
            raise Unauthorized("Invalid API key")
        if response.status_code != 200:
            raise ServiceUnavailable("auth service unavailable")
        body = response.json()
        token = KeyToken(
            access_token=body["access_token"],
            daily_quota=body.get("daily_quota"),
            valid_until=time.time() + int(body["expires_in"]) - _REFRESH_MARGIN_SECONDS,
        )
        if len(self._cache) >= self._cache_size:
            self._cache.pop(next(iter(self._cache)))
        self._cache[digest] = token
        return token


def api_key_from(headers: dict[str, str] | object, bearer: str | None) -> str | None:
    """The API key of a request: `X-API-Key`, or a bearer value that isn't a JWT."""
    explicit = headers.get("x-api-key")  # type: ignore[attr-defined]
    if explicit:
        return explicit.strip()
    if bearer and bearer.count(".") != 2:
        return bearer
    return None
