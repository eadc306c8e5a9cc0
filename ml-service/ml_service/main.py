"""ml-service application factory (run with `uvicorn ml_service.main:create_app --factory`)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from redis.asyncio import Redis
from segshared.app import build_app, service_resources
from segshared.contracts.events import HISTORY_STREAM, USER_EVENTS_STREAM
from segshared.errors import Conflict
from segshared.health import disk_space_check
from segshared.retry import Backoff
from segshared.streams import StreamConsumer, trim_loop
from segshared.tokens import TokenVerifier
from starlette.middleware import Middleware

from ml_service import __version__
from ml_service.api import datasets, model_registry, predict, reports, webhooks
from ml_service.consumers import user_events_handler
from ml_service.deps import MlState
from ml_service.schemas import TrainRequest
from ml_service.serving.drift_monitor import check_active_model
from ml_service.serving.fast_predict import PredictFastPath
from ml_service.serving.model_store import ModelStore
from ml_service.settings import MlSettings
from ml_service.training.trainer import Trainer
from ml_service.webhooks.delivery import DeliveryWorker

logger = logging.getLogger("ml_service.main")


async def bootstrap_model(store: ModelStore, trainer: Trainer, retry_cap_seconds: float) -> None:
    """First start: train on the generated default dataset until a model exists.

    With several replicas, the training lock lets one of them train; the others wait and
    pick the model up through the watcher, or take over if that replica dies (its lock
    expires). Failures (database or Redis down, a dead worker) are retried with backoff.
    """
    backoff = Backoff(1.0, retry_cap_seconds)
    while True:
        await store.sync()
        if store.model is not None:
            return
        try:
            _, task = await trainer.submit(TrainRequest(), None)
            await task
            continue
        except Conflict:
            delay = backoff.next()
            logger.info(
                "another replica or job is training the first model; checking again in %.1fs", delay
            )
        except Exception as exc:
            delay = backoff.next()
            logger.warning(
                "first-start training failed (%s: %s); retrying in %.1fs",
                type(exc).__name__,
                exc,
                delay,
            )
        await asyncio.sleep(delay)


async def drift_checks(
    store: ModelStore, trainer: Trainer, settings: MlSettings, redis: Redis
) -> None:
    """Check the active model's drift every `drift_check_seconds` (one replica per interval)."""
    interval = settings.drift_check_seconds
    while True:
        await asyncio.sleep(interval)
        try:
            await check_active_model(
                redis,
                trainer.sessionmaker,
                store.model,
                settings.drift_check_days,
                interval * 0.9,
                trainer.owner,
            )
        except Exception as exc:  # the next interval tries again
            logger.warning("drift check failed (%s: %s)", type(exc).__name__, exc)


def create_app(
    settings: MlSettings | None = None, *, token_verifier: TokenVerifier | None = None
) -> FastAPI:
    """Build the app; `settings` defaults to the environment, `token_verifier` to one that
    fetches auth-service's JWKS."""
    settings = settings or MlSettings()

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[MlState]:
        async with service_resources(settings, token_verifier) as shared:
            store = ModelStore(settings.model_path, settings.reload_poll_seconds)
            trainer = Trainer(settings, shared.sessionmaker, shared.redis, store)
            shared.readiness_checks["model"] = lambda: _model_ready(store)
            shared.readiness_checks["model_volume"] = disk_space_check(
                settings.model_path, settings.model_dir_min_free_mb
            )
            consumer = StreamConsumer(
                shared.redis,
                USER_EVENTS_STREAM,
                "ml-service",
                user_events_handler(shared.sessionmaker),
                block_ms=1000,
                retry=settings.stream_retry,
            )
            consumer.start()
            trainer.start()
            deliveries = DeliveryWorker(settings, shared.sessionmaker)
            deliveries.start()
            tasks = [
                asyncio.create_task(store.watch(shared.redis), name="model-watch"),
                asyncio.create_task(
                    bootstrap_model(store, trainer, settings.bootstrap_retry_cap_seconds),
                    name="model-bootstrap",
                ),
                # ml-service produces the history stream: it trims what profile-service acked.
                asyncio.create_task(
                    trim_loop(
                        shared.redis,
                        (HISTORY_STREAM,),
                        settings.stream_trim_seconds,
                        settings.stream_backlog_alarm,
                    ),
                    name="history-trim",
                ),
            ]
            if settings.drift_check_seconds > 0:
                tasks.append(
                    asyncio.create_task(
                        drift_checks(store, trainer, settings, shared.redis),
                        name="drift-check",
                    )
                )
            try:
                yield MlState.extending(shared, store=store, trainer=trainer)
            finally:
                for task in tasks:
                    task.cancel()
                for task in tasks:
                    with contextlib.suppress(asyncio.CancelledError):
                        await task
                await consumer.stop()
                await deliveries.aclose()
                await trainer.aclose()

    app = build_app("ml-service", __version__, settings, lifespan)
    app.user_middleware.append(Middleware(PredictFastPath))
    for router in (
        predict.router,
        predict.internal,
        model_registry.router,
        datasets.router,
        reports.router,
        webhooks.router,
    ):
        app.include_router(router)
    return app


async def _model_ready(store: ModelStore) -> dict[str, str]:
    model = store.require()
    return {"version": model.version}
