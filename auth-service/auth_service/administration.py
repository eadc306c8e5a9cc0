"""Admin rules: roles, activation, deletion, statistics. Admins can't act on themselves."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from segshared.errors import BadRequest, NotFound
from segshared.stats_window import Bucket, BucketCount, DayCount
from segshared.tokens import Claims
from sqlalchemy.ext.asyncio import AsyncSession

from auth_service import accounts, audit, repository
from auth_service.context import AuthContext
from auth_service.schemas import AdminStats, UsersByRole
from auth_service.tables import User, utcnow


async def get_user(session: AsyncSession, user_id: int) -> User:
    """The user, or 404."""
    user = await repository.user_by_id(session, user_id)
    if user is None:
        raise NotFound("User not found")
    return user


async def change_role(
    session: AsyncSession, ctx: AuthContext, admin: Claims, user_id: int, role: str
) -> User:
    """Set a user's role; it applies from their very next request."""
    user = await get_user(session, user_id)
    if user.id == admin.user_id and role != "admin":
        raise BadRequest("You cannot demote yourself")
    if user.role != role:
        previous = user.role
        user.role = role
        user.updated_at = utcnow()
        await ctx.invalidate_user(session, user_id)
        await audit.record(
            session,
            "role_change",
            actor_id=admin.user_id,
            target_id=user_id,
            previous=previous,
            role=role,
        )
    return user


async def toggle_active(
    session: AsyncSession, ctx: AuthContext, admin: Claims, user_id: int
) -> User:
    """Activate or deactivate; deactivation ends every session at once."""
    user = await get_user(session, user_id)
    if user.id == admin.user_id:
        raise BadRequest("You cannot deactivate yourself")
    user.is_active = not user.is_active
    user.updated_at = utcnow()
    if not user.is_active:
        await ctx.invalidate_user(session, user_id)
        await repository.revoke_user_families(session, user_id)
    action = "user_activated" if user.is_active else "user_deactivated"
    await audit.record(session, action, actor_id=admin.user_id, target_id=user_id)
    return user


async def delete_other_user(
    session: AsyncSession, ctx: AuthContext, admin: Claims, user_id: int
) -> None:
    """Delete another user."""
    user = await get_user(session, user_id)
    if user.id == admin.user_id:
        raise BadRequest("You cannot delete yourself")
    await accounts.delete_user(session, ctx, user, admin.user_id, None)


def _last_7_days(counts: list[dict] | None) -> list[DayCount]:
    today = datetime.now(UTC).date()
    by_date = {c["date"]: int(c["count"]) for c in counts or []}
    days = [today - timedelta(days=offset) for offset in range(6, -1, -1)]
    return [DayCount(date=d.isoformat(), count=by_date.get(d.isoformat(), 0)) for d in days]


async def stats(
    session: AsyncSession, ctx: AuthContext, days: int = 7, bucket: Bucket = "day"
) -> AdminStats:
    """User counts from here, prediction/profile counts from profile-service (predictions
    per `bucket` over the last `days` days; None while profile-service is unavailable)."""
    by_role = UsersByRole()
    active = inactive = 0
    for role, is_active, count in await repository.count_users_by_role_and_state(session):
        setattr(by_role, role, getattr(by_role, role, 0) + count)
        if is_active:
            active += count
        else:
            inactive += count
    overall = await ctx.profile_stats.overall(days, bucket) or {}
    over_time = overall.get("predictions_over_time")
    return AdminStats(
        total_users=active + inactive,
        active_users=active,
        inactive_users=inactive,
        users_by_role=by_role,
        total_predictions=overall.get("total_predictions"),
        total_profiles=overall.get("total_profiles"),
        predictions_by_cluster=overall.get("predictions_by_cluster", {}),
        predictions_last_7_days=_last_7_days(overall.get("predictions_last_7_days")),
        predictions_over_time=None
        if over_time is None
        else [BucketCount.model_validate(b) for b in over_time],
    )
