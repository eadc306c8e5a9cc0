"""Annotated dependencies of the auth-service routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from segshared.db import session_dependency
from sqlalchemy.ext.asyncio import AsyncSession

from auth_service.context import AuthContext


# Dependencies are `async def` on purpose: FastAPI runs a plain `def` one in a thread
# pool, which costs a thread hand-off per request on the hot path.
async def get_context(request: Request) -> AuthContext:
    """The service's collaborators (built in the lifespan)."""
    return request.app.state.auth


async def client_ip(request: Request) -> str:
    """The caller's address as the gateway saw it (it overwrites X-Forwarded-For)."""
    forwarded = request.headers.get("x-forwarded-for", "")
    if forwarded:
        return forwarded.split(",")[0].strip()[:64]
    return request.client.host if request.client else "unknown"


# scope="function": the transaction commits before the response is sent (a 2xx means
# the write is visible to the next request), not after it as yield dependencies default to.
SessionDep = Annotated[AsyncSession, Depends(session_dependency, scope="function")]
ContextDep = Annotated[AuthContext, Depends(get_context)]
ClientIp = Annotated[str, Depends(client_ip)]
