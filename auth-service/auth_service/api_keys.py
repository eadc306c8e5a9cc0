"""API keys: shown once, stored as a hash, exchanged for short-lived access tokens."""

from __future__ import annotations

import secrets

from redis.asyncio import Redis
from segshared.contracts.quota import usage_today
from segshared.contracts.revocation import revoked_api_key_key
from segshared.errors import NotFound, Unauthorized
from sqlalchemy.ext.asyncio import AsyncSession

from auth_service import audit, repository
from auth_service.context import AuthContext
from auth_service.schemas import ApiKeyCreate, ApiKeyCreated, ApiKeyPublic, ApiKeyToken
from auth_service.sessions import hash_secret
from auth_service.tables import ApiKey, utcnow

KEY_PREFIX = "seg_"


async def create(
    session: AsyncSession, owner_id: int, data: ApiKeyCreate, ip: str | None
) -> ApiKeyCreated:
    """A new key; the secret is in this answer only."""
    prefix = KEY_PREFIX + secrets.token_hex(4)
    key = f"{prefix}_{secrets.token_urlsafe(32)}"
    record = ApiKey(
        user_id=owner_id,
        name=data.name,
        prefix=prefix,
        key_hash=hash_secret(key),
        daily_quota=data.daily_quota,
        scopes=list(data.scopes),
        expires_at=data.expires_at,
        allowed_ips=data.allowed_ips,
    )
    session.add(record)
    await session.flush()
    assert record.id is not None
    await audit.record(
        session,
        "api_key_created",
        actor_id=owner_id,
        target_id=owner_id,
        ip=ip,
        api_key_id=record.id,
        prefix=prefix,
    )
    return ApiKeyCreated(
        id=record.id,
        name=record.name,
        key=key,
        prefix=prefix,
        daily_quota=record.daily_quota,
        scopes=record.scopes,
        expires_at=record.expires_at,
        allowed_ips=record.allowed_ips,
        created_at=record.created_at,
    )


async def list_for(session: AsyncSession, redis: Redis, owner_id: int) -> list[ApiKeyPublic]:
    """The owner's live keys with today's usage; never the secret."""
    keys = await repository.api_keys_of(session, owner_id)
    result = []
    for key in keys:
        assert key.id is not None
        result.append(
            ApiKeyPublic(
                id=key.id,
                name=key.name,
                prefix=key.prefix,
                daily_quota=key.daily_quota,
                scopes=key.scopes,
                expires_at=key.expires_at,
                allowed_ips=key.allowed_ips,
                created_at=key.created_at,
                last_used_at=key.last_used_at,
                used_today=await usage_today(redis, key.id),
            )
        )
    return result


async def revoke(
    session: AsyncSession, redis: Redis, owner_id: int, key_id: int, ip: str | None
) -> None:
    """Revoke the owner's key; tokens minted for it stop at once. Others' ids → 404."""
    key = await session.get(ApiKey, key_id)
    if key is None or key.user_id != owner_id or key.revoked_at is not None:
        raise NotFound("API key not found")
    key.revoked_at = utcnow()
    await redis.set(revoked_api_key_key(key_id), "1")
    await audit.record(
        session, "api_key_revoked", actor_id=owner_id, target_id=owner_id, ip=ip, api_key_id=key_id
    )


async def exchange(session: AsyncSession, ctx: AuthContext, key: str) -> ApiKeyToken:
    """A short-lived access token acting as the key's owner within the key's scopes (for
    the gateway, which also enforces `allowed_ips`); never past the key's expiry."""
    record = await repository.api_key_by_hash(session, hash_secret(key))
    if record is None:
        raise Unauthorized("Invalid API key")
    lifetime = ctx.settings.api_key_token_expire_seconds
    if record.expires_at is not None:
        left = int((record.expires_at - utcnow()).total_seconds())
        if left <= 0:
            raise Unauthorized("API key has expired")
        lifetime = min(lifetime, left)
    user = await repository.user_by_id(session, record.user_id)
    if user is None or not user.is_active:
        raise Unauthorized("Invalid API key")
    assert record.id is not None and user.id is not None
    record.last_used_at = utcnow()
    issued = ctx.signer.issue(
        user.id, user.username, user.role, lifetime, akid=record.id, scp=record.scopes
    )
    return ApiKeyToken(
        access_token=issued.token,
        expires_in=issued.expires_in,
        api_key_id=record.id,
        user_id=user.id,
        daily_quota=record.daily_quota,
        scopes=record.scopes,
        allowed_ips=record.allowed_ips,
    )
