"""Annotated dependencies of the auth-service routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from segshared.db import session_dependency
from sqlalchemy.ext.asyncio import AsyncSession

from auth_service.context import AuthContext


def get_context(request: Request) -> AuthContext:
    """The service's collaborators (built in the lifespan)."""
    return request.app.state.auth


def client_ip(request: Request) -> str:
    """The caller's address as the gateway saw it (it overwrites X-Forwarded-For)."""
    forwarded = request.headers.get("x-forwarded-for", "")
    if forwarded:
        return forwarded.split(",")[0].strip()[:64]
    return request.client.host if request.client else "unknown"


SessionDep = Annotated[AsyncSession, Depends(session_dependency)]
ContextDep = Annotated[AuthContext, Depends(get_context)]
ClientIp = Annotated[str, Depends(client_ip)]
