"""`/admin`: user management with totals, statistics and the audit trail."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from segshared.errors import error_responses
from segshared.params import Limit, RowId, Skip, Text
from segshared.security import AccountAdminClaims
from segshared.stats_window import StatsBucket, StatsDays

from auth_service import accounts, administration, repository
from auth_service.deps import ContextDep, SessionDep
from auth_service.schemas import (
    AdminStats,
    AdminUserList,
    AuditList,
    AuditPublic,
    Role,
    UserPublic,
    UserWithTotals,
)

router = APIRouter(
    prefix="/admin", tags=["admin"], responses=error_responses(400, 401, 403, 422, 503)
)


@router.get("/users", response_model=AdminUserList)
@router.get("/users/", response_model=AdminUserList, include_in_schema=False)
async def list_users(
    _: AccountAdminClaims,
    session: SessionDep,
    ctx: ContextDep,
    skip: Skip = 0,
    limit: Limit = 100,
    q: Annotated[Text | None, Query(max_length=100)] = None,
    role: Role | None = None,
    is_active: bool | None = None,
) -> AdminUserList:
    users, total = await repository.list_users(session, skip, limit, q, role, is_active)
    overall = await ctx.profile_stats.overall() or {}
    return AdminUserList(
        users=await accounts.with_totals(ctx, users),
        total=total,
        total_predictions=overall.get("total_predictions"),
        total_profiles=overall.get("total_profiles"),
    )


@router.get("/users/{user_id}", response_model=UserWithTotals, responses=error_responses(404))
async def get_user(
    user_id: RowId, _: AccountAdminClaims, session: SessionDep, ctx: ContextDep
) -> Any:
    user = await administration.get_user(session, user_id)
    return (await accounts.with_totals(ctx, [user]))[0]


@router.put(
    "/users/{user_id}/toggle-active", response_model=UserPublic, responses=error_responses(400, 404)
)
async def toggle_active(
    user_id: RowId, admin: AccountAdminClaims, session: SessionDep, ctx: ContextDep
) -> Any:
    return await administration.toggle_active(session, ctx, admin, user_id)


@router.get("/stats", response_model=AdminStats)
async def stats(
    _: AccountAdminClaims,
    session: SessionDep,
    ctx: ContextDep,
    days: StatsDays = 7,
    bucket: StatsBucket = "day",
) -> AdminStats:
    return await administration.stats(session, ctx, days, bucket)


@router.get("/audit", response_model=AuditList)
async def audit_log(
    _: AccountAdminClaims, session: SessionDep, skip: Skip = 0, limit: Limit = 100
) -> AuditList:
    entries, total = await repository.list_audit(session, skip, limit)
    return AuditList(entries=[AuditPublic.model_validate(e) for e in entries], total=total)
