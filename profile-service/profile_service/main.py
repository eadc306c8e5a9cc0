"""profile-service application factory (run with `uvicorn profile_service.main:create_app --factory`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from segshared.app import build_app, service_resources
from segshared.events import HISTORY_STREAM, USER_EVENTS_STREAM
from segshared.internal_client import InternalClient
from segshared.streams import StreamConsumer

from profile_service import __version__
from profile_service.api import history, internal, profiles
from profile_service.consumers import history_handler, user_events_handler
from profile_service.settings import ProfileSettings

CONSUMER_GROUP = "profile-service"


def create_app(settings: ProfileSettings | None = None) -> FastAPI:
    """Build the app; `settings` defaults to the environment."""
    settings = settings or ProfileSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with service_resources(app, settings):
            app.state.ml = InternalClient(
                settings.ml_service_url,
                settings.effective_service_token,
                settings.predict_timeout_seconds,
            )
            consumers = [
                StreamConsumer(
                    app.state.redis, HISTORY_STREAM, CONSUMER_GROUP,
                    history_handler(app.state.sessionmaker),
                    batch_size=settings.history_batch_size, block_ms=settings.history_block_ms,
                    gather_seconds=settings.history_gather_seconds, retry=settings.stream_retry,
                ),
                StreamConsumer(
                    app.state.redis, USER_EVENTS_STREAM, CONSUMER_GROUP,
                    user_events_handler(app.state.sessionmaker), block_ms=1000,
                    retry=settings.stream_retry,
                ),
            ]  # fmt: skip
            app.state.consumers = consumers
            for consumer in consumers:
                consumer.start()
            try:
                yield
            finally:
                for consumer in consumers:
                    await consumer.stop()
                await app.state.ml.aclose()

    app = build_app("profile-service", __version__, settings, lifespan)
    for module in (profiles, history, internal):
        app.include_router(module.router)
    return app
