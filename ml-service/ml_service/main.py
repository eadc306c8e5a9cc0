"""ml-service application factory (run with `uvicorn ml_service.main:create_app --factory`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from segshared.app import build_app, service_resources

from ml_service import __version__
from ml_service.settings import MlSettings


def create_app(settings: MlSettings | None = None) -> FastAPI:
    """Build the app; `settings` defaults to the environment."""
    settings = settings or MlSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with service_resources(app, settings):
            yield

    return build_app("ml-service", __version__, settings, lifespan)
