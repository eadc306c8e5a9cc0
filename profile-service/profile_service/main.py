"""profile-service application factory (run with `uvicorn profile_service.main:create_app --factory`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from segshared.app import build_app, service_resources
from segshared.contracts.events import HISTORY_STREAM, USER_EVENTS_STREAM
from segshared.internal_client import InternalClient
from segshared.streams import StreamConsumer
from segshared.tokens import TokenVerifier

from profile_service import __version__
from profile_service.api import history, internal, profiles
from profile_service.consumers import history_handler, user_events_handler
from profile_service.deps import ProfileState
from profile_service.settings import ProfileSettings

CONSUMER_GROUP = "profile-service"


def create_app(
    settings: ProfileSettings | None = None, *, token_verifier: TokenVerifier | None = None
) -> FastAPI:
    """Build the app; `settings` defaults to the environment, `token_verifier` to one that
    fetches auth-service's JWKS."""
    settings = settings or ProfileSettings()

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[ProfileState]:
        async with service_resources(settings, token_verifier) as shared:
            ml = InternalClient(
                settings.ml_service_url,
                settings.effective_service_token,
                settings.predict_timeout_seconds,
            )
            consumers = [
                *(
                    StreamConsumer(
                        shared.redis,
                        HISTORY_STREAM,
                        CONSUMER_GROUP,
                        history_handler(shared.sessionmaker),
                        batch_size=settings.history_batch_size,
                        block_ms=settings.history_block_ms,
                        gather_seconds=settings.history_gather_seconds,
                        retry=settings.stream_retry,
                        instance=instance,
                    )
                    for instance in range(settings.history_consumers)
                ),
                StreamConsumer(
                    shared.redis,
                    USER_EVENTS_STREAM,
                    CONSUMER_GROUP,
                    user_events_handler(shared.sessionmaker),
                    block_ms=1000,
                    retry=settings.stream_retry,
                ),
            ]
            for consumer in consumers:
                consumer.start()
            try:
                yield ProfileState.extending(shared, ml=ml, consumers=consumers)
            finally:
                for consumer in consumers:
                    await consumer.stop()
                await ml.aclose()

    app = build_app("profile-service", __version__, settings, lifespan)
    for module in (profiles, history, internal):
        app.include_router(module.router)
    return app
