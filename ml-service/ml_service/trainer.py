"""Training orchestration: jobs, one run per dataset at a time, publishing new versions.

The CPU work runs in a worker process; this side records the job, reports progress,
writes the version atomically, moves the `current` pointer and announces it.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import hashlib
import logging
import multiprocessing
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from redis.asyncio import Redis
from segshared.errors import (
    Conflict,
    DomainError,
    NotFound,
    ServiceUnavailable,
    Unprocessable,
    validation_error,
)
from segshared.events import MODEL_PUBLISHED_CHANNEL
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ml_service import registry, repository
from ml_service.datasets import ensure_default_dataset
from ml_service.engine.model import TrainedModel
from ml_service.engine.training import TrainingParams
from ml_service.model_store import ModelStore
from ml_service.models import Dataset, ModelVersion, TrainingJob
from ml_service.settings import MlSettings
from ml_service.worker import progress_key, run_training

logger = logging.getLogger("ml_service.trainer")


def _warm_up() -> None:
    """Import the training code in the worker process ahead of the first request."""
    import ml_service.worker  # noqa: F401


class Trainer:
    """Runs trainings in a worker process and publishes their models."""

    def __init__(
        self,
        settings: MlSettings,
        sessionmaker: async_sessionmaker[AsyncSession],
        redis: Redis,
        store: ModelStore,
    ) -> None:
        self.settings = settings
        self.sessionmaker = sessionmaker
        self.redis = redis
        self.store = store
        self._pool = concurrent.futures.ProcessPoolExecutor(
            max_workers=1, mp_context=multiprocessing.get_context("spawn")
        )
        # Start the worker now (spawn + imports take seconds), not on the first training.
        self._pool.submit(_warm_up)
        self._tasks: dict[str, asyncio.Task[dict[str, Any]]] = {}

    def close(self) -> None:
        """Stop the worker process (running trainings are abandoned)."""
        for task in self._tasks.values():
            task.cancel()
        self._pool.shutdown(wait=False, cancel_futures=True)

    def params(self, body: dict[str, Any]) -> TrainingParams:
        """Training parameters from a request body, with settings' defaults."""
        k_min = body.get("k_min") or self.settings.default_k_min
        k_max = body.get("k_max") or self.settings.default_k_max
        if k_min > k_max:
            raise validation_error(["body", "k_min"], "k_min must not exceed k_max")
        return TrainingParams(
            n_clusters=body.get("n_clusters"),
            k_min=k_min,
            k_max=k_max,
            seed=self.settings.default_seed,
            silhouette_sample_size=self.settings.silhouette_sample_size,
            minibatch_threshold=self.settings.minibatch_threshold,
            n_init=self.settings.kmeans_n_init,
        )

    async def _dataset_path(self, dataset_id: int | None) -> Path:
        if dataset_id is None:
            return await asyncio.to_thread(
                ensure_default_dataset,
                self.settings.dataset_dir,
                self.settings.default_dataset_rows,
                self.settings.default_seed,
            )
        async with self.sessionmaker() as session:
            dataset = await session.get(Dataset, dataset_id)
        if dataset is None:
            raise NotFound("Dataset not found")
        return Path(dataset.path)

    async def submit(
        self, body: dict[str, Any], user_id: int | None
    ) -> tuple[str, asyncio.Task[dict[str, Any]]]:
        """Queue a training; 409 while another one runs on the same dataset."""
        params = self.params(body)
        dataset_id = body.get("dataset_id")
        dataset = await self._dataset_path(dataset_id)
        lock = f"ml:train-lock:{dataset_id or 'default'}"
        job_id = uuid.uuid4().hex
        if not await self.redis.set(lock, job_id, nx=True, ex=self.settings.train_lock_seconds):
            raise Conflict("A training on this dataset is already running; try again when it ends")
        async with self.sessionmaker() as session, session.begin():
            session.add(TrainingJob(id=job_id, status="queued", params=body, requested_by=user_id))
        await self.redis.hset(progress_key(job_id), mapping={"progress": "0", "stage": "queued"})
        task = asyncio.create_task(self._run(job_id, params, dataset, dataset_id, user_id, lock))
        self._tasks[job_id] = task
        task.add_done_callback(lambda done: self._finished(job_id, done))
        return job_id, task

    def _finished(self, job_id: str, task: asyncio.Task[dict[str, Any]]) -> None:
        self._tasks.pop(job_id, None)
        if not task.cancelled():
            task.exception()  # already logged and stored on the job; mark it retrieved

    async def _set_job(self, job_id: str, **fields: Any) -> None:
        async with self.sessionmaker() as session, session.begin():
            job = await session.get(TrainingJob, job_id)
            if job is not None:
                for name, value in fields.items():
                    setattr(job, name, value)

    async def _run(
        self,
        job_id: str,
        params: TrainingParams,
        dataset: Path,
        dataset_id: int | None,
        user_id: int | None,
        lock: str,
    ) -> dict[str, Any]:
        started = time.perf_counter()
        try:
            await self._set_job(job_id, status="running")
            loop = asyncio.get_running_loop()
            trained = await loop.run_in_executor(
                self._pool, run_training, job_id, str(dataset), params, self.settings.redis_url
            )
            await self.redis.hset(
                progress_key(job_id), mapping={"progress": "0.97", "stage": "publishing"}
            )
            result = await self.publish(trained, dataset_id, user_id, time.perf_counter() - started)
            await self.redis.hset(progress_key(job_id), mapping={"progress": "1", "stage": "done"})
            await self._set_job(
                job_id, status="succeeded", result=result, finished_at=datetime.now(UTC)
            )
            return result
        except Exception as exc:
            message = str(exc) or type(exc).__name__
            logger.exception("training job %s failed", job_id)
            await self.redis.hset(progress_key(job_id), mapping={"stage": "failed"})
            await self._set_job(
                job_id, status="failed", error=message[:1000], finished_at=datetime.now(UTC)
            )
            if isinstance(exc, DomainError):
                raise
            if isinstance(exc, ValueError):  # the data can't be clustered as asked
                raise Unprocessable(f"Training failed: {message}") from exc
            raise ServiceUnavailable("Training failed; see the ml-service log") from exc
        finally:
            await self.redis.delete(lock)

    async def publish(
        self, trained: TrainedModel, dataset_id: int | None, user_id: int | None, duration: float
    ) -> dict[str, Any]:
        """Write the version, record it, point `current` at it and announce it."""
        trained_at = datetime.now(UTC)
        async with self.sessionmaker() as session, session.begin():
            model_id = await repository.next_model_id(session)
            fingerprint = hashlib.sha256(trained.centers.tobytes()).hexdigest()[:8]
            version = f"v{model_id}-{fingerprint}"
            publication = registry.Publication(
                dataset_id=dataset_id,
                trained_by=user_id,
                trained_at=trained_at,
                duration_seconds=round(duration, 3),
            )
            checksum = await asyncio.to_thread(
                registry.write_version, self.settings.model_path, version, trained, publication
            )
            session.add(
                ModelVersion(
                    id=model_id,
                    version=version,
                    n_clusters=trained.n_clusters,
                    silhouette_score=trained.silhouette_score,
                    inertia=trained.inertia,
                    n_samples=trained.n_samples,
                    dataset_id=dataset_id,
                    trained_by=user_id,
                    trained_at=trained_at,
                    duration_seconds=round(duration, 3),
                    sha256=checksum,
                )
            )
        await self.activate(version)
        return {
            "message": "Model trained successfully",
            "model_version": version,
            "n_clusters": trained.n_clusters,
            "silhouette_score": trained.silhouette_score,
            "inertia": trained.inertia,
            "n_samples": trained.n_samples,
            "trained_at": trained_at.isoformat(),
            "duration_seconds": round(duration, 3),
        }

    async def activate(self, version: str) -> None:
        """Verify a stored version, make it current everywhere, and serve it here."""
        try:
            await asyncio.to_thread(registry.load_version, self.settings.model_path, version)
        except registry.ArtifactError as exc:
            raise Conflict(f"Model {version} failed verification and was not activated") from exc
        await asyncio.to_thread(registry.write_pointer, self.settings.model_path, version)
        await self.redis.publish(MODEL_PUBLISHED_CHANNEL, version)
        await self.store.sync()
