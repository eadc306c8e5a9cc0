"""Login, refresh-token rotation and logout."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import timedelta

from segshared.contracts.revocation import revoke_jti, revoke_session
from segshared.errors import Forbidden, Unauthorized
from segshared.tokens import Claims
from sqlalchemy.ext.asyncio import AsyncSession

from auth_service import audit, repository
from auth_service.context import AuthContext
from auth_service.schemas import TokenPair, UserPublic
from auth_service.tables import RefreshToken, User, utcnow


def hash_secret(secret: str) -> str:
    """SHA-256 of a high-entropy random secret (refresh token, API key)."""
    return hashlib.sha256(secret.encode()).hexdigest()


async def _issue_pair(
    session: AsyncSession, ctx: AuthContext, user: User, family_id: str
) -> TokenPair:
    assert user.id is not None
    refresh = secrets.token_urlsafe(48)
    session.add(
        RefreshToken(
            user_id=user.id,
            token_hash=hash_secret(refresh),
            family_id=family_id,
            expires_at=utcnow() + timedelta(days=ctx.settings.refresh_token_expire_days),
        )
    )
    access = ctx.signer.issue(
        user.id, user.username, user.role, ctx.settings.access_token_seconds, sid=family_id
    )
    return TokenPair(
        access_token=access.token,
        expires_in=access.expires_in,
        refresh_token=refresh,
        user=UserPublic.model_validate(user),
    )


async def login(
    session: AsyncSession, ctx: AuthContext, identifier: str, password: str, ip: str
) -> TokenPair:
    """Check credentials (lockout, per-IP limits, timing-safe) and start a session."""
    await ctx.limits.check_ip(ip, "login")
    user = await repository.user_by_login(session, identifier)
    account = f"user:{user.id}" if user else f"name:{identifier.lower()}"
    await ctx.limits.reserve_attempt(account, ip)  # before verifying: holds under concurrency
    valid = await ctx.passwords.verify(user.hashed_password if user else None, password)
    if not valid or user is None:
        await audit.record(
            session,
            "login_failed",
            target_id=user.id if user else None,
            ip=ip,
            username=identifier[:50],
        )
        raise Unauthorized("Incorrect username or password", keep_changes=True)
    await ctx.limits.refund_attempt(account, ip)
    if not user.is_active:
        raise Forbidden("Inactive user")
    if ctx.passwords.needs_rehash(user.hashed_password):
        user.hashed_password = await ctx.passwords.hash(password)
    await audit.record(session, "login", actor_id=user.id, target_id=user.id, ip=ip)
    return await _issue_pair(session, ctx, user, uuid.uuid4().hex)


async def refresh(session: AsyncSession, ctx: AuthContext, token: str) -> TokenPair:
    """Rotate a refresh token; reusing a rotated one revokes its whole family."""
    stored = await repository.refresh_by_hash(session, hash_secret(token))
    if stored is None or stored.revoked_at is not None:
        raise Unauthorized("Invalid refresh token")
    if stored.rotated_at is not None:
        # Someone replayed an old token: treat the family as stolen.
        await repository.revoke_family(session, stored.family_id)
        await revoke_session(ctx.redis, stored.family_id, ctx.settings.access_token_seconds)
        await audit.record(session, "refresh_reuse", target_id=stored.user_id)
        raise Unauthorized("Refresh token reuse detected; please log in again", keep_changes=True)
    if stored.expires_at <= utcnow():
        raise Unauthorized("Refresh token expired")
    user = await repository.user_by_id(session, stored.user_id)
    if user is None:
        raise Unauthorized("Invalid refresh token")
    if not user.is_active:
        raise Forbidden("Inactive user")
    stored.rotated_at = utcnow()
    return await _issue_pair(session, ctx, user, stored.family_id)


async def logout(session: AsyncSession, ctx: AuthContext, claims: Claims) -> None:
    """End this session only: every access token minted in it (`sid`) and its refresh family."""
    await revoke_jti(ctx.redis, claims.jti, claims.expires_at)
    if claims.session_id:
        await revoke_session(ctx.redis, claims.session_id, ctx.settings.access_token_seconds)
        await repository.revoke_family(session, claims.session_id)
    await audit.record(session, "logout", actor_id=claims.user_id, target_id=claims.user_id)
