"""profile-service application factory (run with `uvicorn profile_service.main:create_app --factory`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from segshared.app import build_app, service_resources

from profile_service import __version__
from profile_service.settings import ProfileSettings


def create_app(settings: ProfileSettings | None = None) -> FastAPI:
    """Build the app; `settings` defaults to the environment."""
    settings = settings or ProfileSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with service_resources(app, settings):
            yield

    return build_app("profile-service", __version__, settings, lifespan)
