"""Annotated dependencies of the auth-service routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from segshared.clientip import client_address
from segshared.db import SessionDep as SessionDep  # the one transaction per request

from auth_service.context import AuthContext


# Dependencies are `async def` on purpose: FastAPI runs a plain `def` one in a thread
# pool, which costs a thread hand-off per request on the hot path.
async def get_context(request: Request) -> AuthContext:
    """The service's collaborators (built in the lifespan)."""
    return request.app.state.auth


async def client_ip(request: Request) -> str:
    """The caller's address: the peer, or what a trusted proxy (the gateway, listed in
    TRUSTED_PROXIES) says in X-Forwarded-For; a header from anyone else is ignored."""
    networks = request.app.state.auth.settings.trusted_proxy_networks
    peer = request.client.host if request.client else None
    return client_address(peer, request.headers.getlist("x-forwarded-for"), networks)[:64]


ContextDep = Annotated[AuthContext, Depends(get_context)]
ClientIp = Annotated[str, Depends(client_ip)]
