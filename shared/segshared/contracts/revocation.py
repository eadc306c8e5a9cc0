"""Token revocation in Redis: a `jti` denylist and a per-user `valid_after` time.

auth-service writes these keys; the gateway reads them on every request (one MGET).
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from typing import Any

from redis.asyncio import Redis

from segshared.errors import Unauthorized
from segshared.tokens import Claims


def revoked_jti_key(jti: str) -> str:
    """Key present while the access token with this `jti` is revoked."""
    return f"auth:revoked:jti:{jti}"


def valid_after_key(user_id: int) -> str:
    """Key holding the time (epoch seconds) before which the user's tokens are void."""
    return f"auth:valid_after:{user_id}"


def revoked_api_key_key(api_key_id: int) -> str:
    """Key present once an API key is revoked (tokens minted for it stop at once)."""
    return f"auth:revoked:apikey:{api_key_id}"


def revoked_session_key(session_id: str) -> str:
    """Key present once a login session (`sid`) ended: all its access tokens stop at once."""
    return f"auth:revoked:sid:{session_id}"


async def revoke_session(redis: Redis, session_id: str, ttl_seconds: int) -> None:
    """End a login session (logout, refresh-token reuse) for as long as its access tokens live."""
    await redis.set(revoked_session_key(session_id), "1", ex=max(1, ttl_seconds))


async def revoke_jti(redis: Redis, jti: str, expires_at: int) -> None:
    """Deny this token until it would have expired anyway."""
    ttl = max(1, int(expires_at - time.time()) + 1)
    await redis.set(revoked_jti_key(jti), "1", ex=ttl)


async def invalidate_user_tokens(
    redis: Redis, user_id: int, ttl_seconds: int, keep_jti: str | None = None
) -> None:
    """Void every token of the user issued before now (role change, deactivation, ...).

    `keep_jti` spares the one token that made the change (a password change ends every
    *other* session).
    """
    # Rounded up to the millisecond: tokens carry iat_ms truncated, so one minted in the
    # same millisecond, before this call, is still voided.
    now_ms = math.ceil(time.time() * 1000)
    value = f"{now_ms / 1000:.3f}" + (f" {keep_jti}" if keep_jti else "")
    await redis.set(valid_after_key(user_id), value, ex=ttl_seconds)


def revocation_keys(claims: Claims) -> list[str]:
    """The Redis keys whose values decide whether `claims` is revoked (read with MGET)."""
    keys = [revoked_jti_key(claims.jti), valid_after_key(claims.user_id)]
    if claims.api_key_id is not None:
        keys.append(revoked_api_key_key(claims.api_key_id))
    if claims.session_id is not None:
        keys.append(revoked_session_key(claims.session_id))
    return keys


def check_revocation(claims: Claims, values: Sequence[Any]) -> None:
    """Raise `Unauthorized` when the MGET `values` of `revocation_keys` revoke the token."""
    if values[0] is not None:
        raise Unauthorized("Token has been revoked")
    if values[1] is not None:
        valid_after, _, kept = values[1].partition(" ")
        if claims.issued_at < float(valid_after) and claims.jti != kept:
            raise Unauthorized("Token has been revoked")
    rest = list(values[2:])
    if claims.api_key_id is not None and rest.pop(0) is not None:
        raise Unauthorized("API key has been revoked")
    if claims.session_id is not None and rest.pop(0) is not None:
        raise Unauthorized("Session has ended")


async def ensure_not_revoked(redis: Redis, claims: Claims) -> None:
    """Raise `Unauthorized` when the token was revoked by any of the rules above."""
    check_revocation(claims, await redis.mget(revocation_keys(claims)))
