"""`/users`: the caller's own account, and admin user management."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from segshared.errors import error_responses
from segshared.params import Limit, RowId, Skip
from segshared.security import AccountAdminClaims, AccountClaims

from auth_service import accounts, administration, repository
from auth_service.deps import ClientIp, ContextDep, SessionDep
from auth_service.schemas import (
    Message,
    UserList,
    UserPublic,
    UserUpdate,
    UserWithTotals,
)

router = APIRouter(prefix="/users", tags=["users"], responses=error_responses(400, 401, 422, 503))


@router.get("/me/profile", response_model=UserWithTotals)
async def my_profile(claims: AccountClaims, session: SessionDep, ctx: ContextDep) -> Any:
    user = await accounts.current_user(session, claims)
    return (await accounts.with_totals(ctx, [user]))[0]


@router.put("/me", response_model=UserPublic, responses=error_responses(400, 409))
async def update_me(
    body: UserUpdate, claims: AccountClaims, session: SessionDep, ctx: ContextDep
) -> Any:
    return await accounts.update_me(session, ctx, claims, body)


@router.delete("/me", response_model=Message)
async def delete_me(
    claims: AccountClaims, session: SessionDep, ctx: ContextDep, ip: ClientIp
) -> Message:
    user = await accounts.current_user(session, claims)
    await accounts.delete_user(session, ctx, user, claims.user_id, ip)
    return Message(message="Account deleted successfully")


@router.get("/", response_model=UserList, responses=error_responses(403))
@router.get("", response_model=UserList, include_in_schema=False)
async def list_users(
    _: AccountAdminClaims, session: SessionDep, skip: Skip = 0, limit: Limit = 100
) -> UserList:
    users, total = await repository.list_users(session, skip, limit)
    return UserList(users=[UserPublic.model_validate(u) for u in users], total=total)


@router.get("/{user_id}", response_model=UserPublic, responses=error_responses(403, 404))
async def get_user(user_id: RowId, _: AccountAdminClaims, session: SessionDep) -> Any:
    return await administration.get_user(session, user_id)
