"""auth-service application factory (run with `uvicorn auth_service.main:create_app --factory`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from segshared.app import build_app, service_resources

from auth_service import __version__
from auth_service.settings import AuthSettings


def create_app(settings: AuthSettings | None = None) -> FastAPI:
    """Build the app; `settings` defaults to the environment."""
    settings = settings or AuthSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with service_resources(app, settings):
            yield

    return build_app("auth-service", __version__, settings, lifespan)
