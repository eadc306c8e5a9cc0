"""auth-service application factory (run with `uvicorn auth_service.main:create_app --factory`)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from segshared.app import build_app, service_resources
from segshared.internal_client import InternalClient
from segshared.tokens import TokenVerifier

from auth_service import __version__, accounts, outbox
from auth_service.api import admin, auth, internal, users
from auth_service.context import AuthContext
from auth_service.limits import LoginLimits
from auth_service.passwords import Passwords
from auth_service.profile_stats import ProfileStats
from auth_service.settings import AuthSettings
from auth_service.signing import Signer


def create_app(settings: AuthSettings | None = None) -> FastAPI:
    """Build the app; `settings` defaults to the environment."""
    settings = settings or AuthSettings()
    signer = Signer(settings)

    async def own_jwks() -> dict[str, Any]:
        return signer.jwks

    verifier = TokenVerifier(own_jwks, settings.jwt_issuer, settings.jwt_audience)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with service_resources(app, settings, verifier):
            profiles = InternalClient(
                settings.profile_service_url,
                settings.effective_service_token,
                settings.internal_timeout_seconds,
            )
            app.state.auth = AuthContext(
                settings=settings,
                redis=app.state.redis,
                signer=signer,
                passwords=Passwords(settings),
                limits=LoginLimits(app.state.redis, settings),
                profile_stats=ProfileStats(profiles),
            )
            relay = asyncio.create_task(
                outbox.run_relay(
                    app.state.sessionmaker, app.state.redis, settings.outbox_poll_seconds
                ),
                name="outbox-relay",
            )
            try:
                yield
            finally:
                relay.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await relay
                await profiles.aclose()

    app = build_app(
        "auth-service", __version__, settings, lifespan, unique_conflicts=accounts.UNIQUE_CONFLICTS
    )
    for module in (auth, users, admin, internal):
        app.include_router(module.router)
    return app
