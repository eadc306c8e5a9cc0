"""Self-service account rules: register, read, update, delete."""

from __future__ import annotations

from segshared.errors import BadRequest, Conflict, Unauthorized
from segshared.tokens import Claims
from sqlalchemy.ext.asyncio import AsyncSession

from auth_service import audit, outbox, repository
from auth_service.context import AuthContext
from auth_service.schemas import UserCreate, UserUpdate, UserWithTotals
from auth_service.tables import User, utcnow

# The unique indexes behind the checks below: a concurrent duplicate passes the check and
# fails at insert, and the error handler answers it with the same 409 as the check.
UNIQUE_CONFLICTS = {
    "uq_users_email_lower": "Email already registered",
    "uq_users_username_lower": "Username already taken",
}


async def register(session: AsyncSession, ctx: AuthContext, data: UserCreate, ip: str) -> User:
    """Create a `user`-role account; email and username unique regardless of case."""
    await ctx.limits.check_ip(ip, "register")
    if await repository.email_taken(session, data.email):
        raise Conflict("Email already registered")
    if await repository.username_taken(session, data.username):
        raise Conflict("Username already taken")
    user = User(
        email=data.email,
        username=data.username,
        full_name=data.full_name,
        hashed_password=await ctx.passwords.hash(data.password),
    )
    session.add(user)
    await session.flush()
    await audit.record(session, "register", actor_id=user.id, target_id=user.id, ip=ip)
    return user


async def current_user(session: AsyncSession, claims: Claims) -> User:
    """The caller's account; a deleted or deactivated one is refused."""
    user = await repository.user_by_id(session, claims.user_id)
    if user is None or not user.is_active:
        raise Unauthorized("User not found or inactive")
    return user


async def with_totals(ctx: AuthContext, users: list[User]) -> list[UserWithTotals]:
    """Users plus their prediction/profile counts (`None` when profile-service is down)."""
    totals = await ctx.profile_stats.for_users([u.id for u in users if u.id is not None])
    result = []
    for user in users:
        counts = totals.get(user.id or 0, {})
        result.append(
            UserWithTotals.model_validate(user).model_copy(
                update={
                    "total_predictions": counts.get("total_predictions"),
                    "total_saved_profiles": counts.get("total_saved_profiles"),
                }
            )
        )
    return result


async def update_me(
    session: AsyncSession, ctx: AuthContext, claims: Claims, data: UserUpdate
) -> User:
    """Apply a self-service update; password/email changes need the current password."""
    user = await current_user(session, claims)
    changing_secret = data.password is not None or (
        data.email is not None and data.email.lower() != user.email.lower()
    )
    if changing_secret and (
        not data.current_password
        or not await ctx.passwords.verify(user.hashed_password, data.current_password)
    ):
        raise BadRequest("Current password is incorrect or missing")
    if data.email is not None and await repository.email_taken(session, data.email, user.id):
        raise Conflict("Email already registered")
    if data.username is not None and await repository.username_taken(
        session, data.username, user.id
    ):
        raise Conflict("Username already taken")
    for field in ("email", "username", "full_name"):
        value = getattr(data, field)
        if value is not None:
            setattr(user, field, value)
    if data.password is not None:
        user.hashed_password = await ctx.passwords.hash(data.password)
        # Every other session ends; the one making the change goes on.
        await repository.revoke_user_families(session, user.id or 0, keep_family=claims.session_id)
        await ctx.invalidate_user(session, claims.user_id, keep_jti=claims.jti)
        await audit.record(session, "password_change", actor_id=user.id, target_id=user.id)
    user.updated_at = utcnow()
    return user


async def delete_user(
    session: AsyncSession, ctx: AuthContext, user: User, actor_id: int, ip: str | None
) -> None:
    """Delete the account (keys and refresh tokens cascade); other services follow via outbox."""
    assert user.id is not None
    outbox.add_user_deleted(session, user.id)
    await audit.record(
        session,
        "user_deleted",
        actor_id=actor_id,
        target_id=user.id,
        ip=ip,
        username=user.username,
    )
    await session.delete(user)
    await session.flush()
    await ctx.invalidate_user(session, user.id)
