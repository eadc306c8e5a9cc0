"""Admin operations on one user, served under both `/admin/users` and `/users` (API.md
lists both paths): one router, included twice."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from segshared.errors import error_responses
from segshared.params import RowId
from segshared.security import AccountAdminClaims

from auth_service import administration
from auth_service.deps import ContextDep, SessionDep
from auth_service.schemas import Message, RoleUpdate, UserPublic

router = APIRouter(responses=error_responses(400, 401, 403, 404, 422, 503))


@router.put("/{user_id}/role", response_model=UserPublic)
async def change_role(
    user_id: RowId,
    body: RoleUpdate,
    admin: AccountAdminClaims,
    session: SessionDep,
    ctx: ContextDep,
) -> Any:
    return await administration.change_role(session, ctx, admin, user_id, body.role)


@router.delete("/{user_id}", response_model=Message)
async def delete_user(
    user_id: RowId, admin: AccountAdminClaims, session: SessionDep, ctx: ContextDep
) -> Message:
    await administration.delete_other_user(session, ctx, admin, user_id)
    return Message(message="User deleted successfully")
