"""Access-token verification against the auth-service's JWKS, with a bounded cache.

auth-service alone signs; everyone else verifies locally. Verified tokens are cached
(keyed by the raw token, until their `exp`) because an EdDSA check costs ~180 µs;
revocation is not cached (see `contracts/revocation.py`).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import jwt

from segshared.errors import Unauthorized

ROLES = ("user", "analyst", "admin")
# What an API key may be allowed to do (API.md "Security"); a key never manages keys,
# the account or admin routes, whatever its scopes.
API_KEY_SCOPES = ("predict", "history:read", "profiles:read", "profiles:write", "models:read")
ALGORITHM = "EdDSA"


def role_rank(role: str) -> int:
    """Position of a role in `user < analyst < admin` (-1 when unknown)."""
    return ROLES.index(role) if role in ROLES else -1


@dataclass(frozen=True, slots=True)
class Claims:
    """The verified content of an access token."""

    user_id: int
    username: str
    role: str
    jti: str
    issued_at: float  # seconds, millisecond precision (iat_ms claim)
    expires_at: int
    api_key_id: int | None = None
    session_id: str | None = None  # `sid`: the login session (refresh-token family)
    scopes: tuple[str, ...] = ()  # `scp`: an API-key token's scopes

    def has_role(self, minimum: str) -> bool:
        """True when this token's role is `minimum` or higher."""
        return role_rank(self.role) >= role_rank(minimum)


JwksLoader = Callable[[], Awaitable[dict[str, Any]]]


class TokenVerifier:
    """Verifies EdDSA access tokens; refetches the JWKS when it meets an unknown `kid`."""

    def __init__(
        self,
        jwks_loader: JwksLoader,
        issuer: str,
        audience: str,
        cache_size: int = 50_000,
        refetch_interval: float = 10.0,
        leeway: float = 5.0,
    ) -> None:
        self._load_jwks = jwks_loader
        self._issuer = issuer
        self._audience = audience
        self._keys: dict[str, jwt.PyJWK] = {}
        self._cache: dict[str, Claims] = {}
        self._cache_size = cache_size
        self._refetch_interval = refetch_interval
        # Clock skew between auth replicas and verifiers, tolerated on `iat` and `exp`.
        self._leeway = leeway
        self._last_attempt = -float("inf")
        self._last_error: Exception | None = None
        self._lock = asyncio.Lock()

    async def _refresh_keys(self) -> None:
        """Fetch the JWKS at most once per `refetch_interval`, whether or not the last
        fetch succeeded: during an auth outage, unknown-kid requests share one attempt
        (waiters reuse its outcome) instead of each waiting out a fetch timeout in turn."""
        async with self._lock:
            if time.monotonic() - self._last_attempt < self._refetch_interval:
                if self._last_error is not None:
                    raise RuntimeError("JWKS fetch failed moments ago") from self._last_error
                return
            try:
                jwks = await self._load_jwks()
                keys = {}
                for entry in jwks.get("keys", []):
                    if entry.get("kty") == "OKP" and entry.get("kid"):
                        keys[entry["kid"]] = jwt.PyJWK(entry, algorithm=ALGORITHM)
            except Exception as exc:
                self._last_error = exc
                raise
            else:
                self._keys = keys
                self._last_error = None
            finally:
                # From the attempt's end: requests that queued behind a slow attempt reuse it.
                self._last_attempt = time.monotonic()

    async def _key_for(self, kid: str) -> jwt.PyJWK:
        key = self._keys.get(kid)
        if key is None:
            try:
                await self._refresh_keys()
            except Exception as exc:
                raise Unauthorized("Token keys unavailable") from exc
            key = self._keys.get(kid)
        if key is None:
            raise Unauthorized("Unknown signing key")
        return key

    async def verify(self, token: str) -> Claims:
        """Return the token's claims, or raise `Unauthorized` (401 + WWW-Authenticate)."""
        cached = self._cache.get(token)
        now = time.time()
        if cached is not None:
            if cached.expires_at > now:
                return cached
            self._cache.pop(token, None)
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise Unauthorized("Invalid token") from exc
        if header.get("alg") != ALGORITHM or not isinstance(header.get("kid"), str):
            raise Unauthorized("Invalid token")
        key = await self._key_for(header["kid"])
        try:
            payload = jwt.decode(
                token,
                key=key.key,
                algorithms=[ALGORITHM],
                audience=self._audience,
                issuer=self._issuer,
                leeway=self._leeway,
                options={"require": ["sub", "exp", "iat", "jti", "iss", "aud"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise Unauthorized("Token has expired") from exc
        except jwt.PyJWTError as exc:
            raise Unauthorized("Invalid token") from exc
        claims = claims_from_payload(payload)
        if len(self._cache) >= self._cache_size:
            self._cache.pop(next(iter(self._cache)))
        self._cache[token] = claims
        return claims


def claims_from_payload(payload: dict[str, Any]) -> Claims:
    """Build `Claims` from a decoded JWT payload, refusing malformed ones."""
    try:
        iat = int(payload["iat"])
        api_key_id = payload.get("akid")
        return Claims(
            user_id=int(payload["sub"]),
            username=str(payload.get("username", "")),
            role=str(payload.get("role", "")),
            jti=str(payload["jti"]),
            issued_at=float(payload.get("iat_ms", iat * 1000)) / 1000.0,
            expires_at=int(payload["exp"]),
            api_key_id=int(api_key_id) if api_key_id is not None else None,
            session_id=str(payload["sid"]) if payload.get("sid") else None,
            scopes=tuple(str(scope) for scope in payload.get("scp", ())),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise Unauthorized("Invalid token") from exc


def bearer_token(authorization: str | None) -> str | None:
    """The token of an `Authorization: Bearer <token>` header, else None."""
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()
