"""Annotated dependencies of the auth-service routes, and the app's typed state."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, cast

from fastapi import Depends, Request
from segshared.app import ServiceState
from segshared.clientip import client_address
from segshared.params import SessionDep as SessionDep  # the one transaction per request

from auth_service.context import AuthContext
from auth_service.settings import AuthSettings


@dataclass(frozen=True)
class AuthState(ServiceState[AuthSettings]):
    """auth-service's `app.state` while it runs."""

    auth: AuthContext


# Dependencies are `async def` on purpose: FastAPI runs a plain `def` one in a thread
# pool, which costs a thread hand-off per request on the hot path.
async def get_state(request: Request) -> AuthState:
    """The running service's state (built in the lifespan)."""
    return cast(AuthState, request.app.state)


StateDep = Annotated[AuthState, Depends(get_state)]


async def get_settings(state: StateDep) -> AuthSettings:
    return state.settings


async def get_context(state: StateDep) -> AuthContext:
    """The service's collaborators."""
    return state.auth


SettingsDep = Annotated[AuthSettings, Depends(get_settings)]
ContextDep = Annotated[AuthContext, Depends(get_context)]


async def client_ip(request: Request, settings: SettingsDep) -> str:
    """The caller's address: the peer, or what a trusted proxy (the gateway, listed in
    TRUSTED_PROXIES) says in X-Forwarded-For; a header from anyone else is ignored."""
    peer = request.client.host if request.client else None
    return client_address(
        peer, request.headers.getlist("x-forwarded-for"), settings.trusted_proxy_networks
    )[:64]


ClientIp = Annotated[str, Depends(client_ip)]
