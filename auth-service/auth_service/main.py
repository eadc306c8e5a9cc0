"""auth-service application factory (run with `uvicorn auth_service.main:create_app --factory`)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from segshared.app import build_app, service_resources
from segshared.contracts.events import USER_EVENTS_STREAM
from segshared.internal_client import InternalClient
from segshared.streams import trim_loop
from segshared.tokens import TokenVerifier

from auth_service import __version__, accounts, outbox, retention
from auth_service.api import admin, admin_users, auth, internal, users
from auth_service.context import AuthContext
from auth_service.deps import AuthState
from auth_service.limits import LoginLimits
from auth_service.passwords import Passwords
from auth_service.profile_stats import ProfileStats
from auth_service.settings import AuthSettings
from auth_service.signing import Signer


def create_app(
    settings: AuthSettings | None = None, *, token_verifier: TokenVerifier | None = None
) -> FastAPI:
    """Build the app; `settings` defaults to the environment, `token_verifier` to one over
    the service's own key set."""
    settings = settings or AuthSettings()
    signer = Signer(settings)

    async def own_jwks() -> dict[str, Any]:
        return signer.jwks

    verifier = token_verifier or TokenVerifier(
        own_jwks, settings.jwt_issuer, settings.jwt_audience, leeway=settings.jwt_leeway_seconds
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[AuthState]:
        async with service_resources(settings, verifier, accounts.UNIQUE_CONFLICTS) as shared:
            profiles = InternalClient(
                settings.profile_service_url,
                settings.effective_service_token,
                settings.internal_timeout_seconds,
            )
            context = AuthContext(
                settings=settings,
                redis=shared.redis,
                signer=signer,
                passwords=Passwords(settings),
                limits=LoginLimits(shared.redis, settings),
                profile_stats=ProfileStats(profiles),
            )
            background = [
                asyncio.create_task(
                    outbox.run_relay(
                        shared.sessionmaker, shared.redis, settings.outbox_poll_seconds
                    ),
                    name="outbox-relay",
                ),
                # auth-service produces the user-events stream: it trims what every consumer
                # group (profile-service, ml-service) has acked.
                asyncio.create_task(
                    trim_loop(
                        shared.redis,
                        (USER_EVENTS_STREAM,),
                        settings.stream_trim_seconds,
                        settings.stream_backlog_alarm,
                    ),
                    name="user-events-trim",
                ),
                asyncio.create_task(
                    retention.run_pruning(shared.sessionmaker, settings), name="retention"
                ),
            ]
            try:
                yield AuthState.extending(shared, auth=context)
            finally:
                for task in background:
                    task.cancel()
                for task in background:
                    with contextlib.suppress(asyncio.CancelledError):
                        await task
                await profiles.aclose()

    app = build_app("auth-service", __version__, settings, lifespan)
    app.include_router(auth.router)
    app.include_router(users.router)
    # After /users/me, so DELETE /users/me stays the caller's own deletion.
    app.include_router(admin_users.router, prefix="/users", tags=["users"])
    app.include_router(admin.router)
    app.include_router(admin_users.router, prefix="/admin/users", tags=["admin"])
    app.include_router(internal.router)
    return app
