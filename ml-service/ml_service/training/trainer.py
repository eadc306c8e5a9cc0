"""Training orchestration: jobs, one run per dataset at a time, publishing new versions.

The CPU work runs in a worker process; this side records the job, reports progress,
writes the version atomically, moves the `current` pointer and announces it.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import functools
import hashlib
import logging
import multiprocessing
import os
import signal
import socket
import time
import uuid
from concurrent.futures.process import BrokenProcessPool
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
from segshared.process import die_with_parent
from segshared.retry import Backoff, sleep_unless
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ml_service import repository
from ml_service.engine.model import TrainedModel
from ml_service.engine.training import TrainingParams
from ml_service.serving import registry
from ml_service.serving.model_store import ModelStore
from ml_service.settings import MlSettings
from ml_service.tables import Dataset, ModelVersion, TrainingJob
from ml_service.training.datasets import ensure_default_dataset
from ml_service.training.worker import progress_key, run_training

logger = logging.getLogger("ml_service.training.trainer")

INTERRUPTED = "interrupted: the ml-service process running it stopped"
WORKER_DIED = "interrupted: the training worker process died (out of memory?)"
CANCELLED = "interrupted: the training was cancelled (service shutdown)"

# Extend the lock only while it is still ours; release it only if it is still ours (a
# lock that expired may belong to another job by now).
_RENEW_LOCK = (
    "if redis.call('get', KEYS[1]) == ARGV[1] then "
    "return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end"
)
_RELEASE_LOCK = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end"


def _warm_up() -> None:
    """Import the training code in the worker process ahead of the first request."""
    import ml_service.training.worker  # noqa: F401


def _new_pool() -> concurrent.futures.ProcessPoolExecutor:
    pool = concurrent.futures.ProcessPoolExecutor(
        max_workers=1,
        mp_context=multiprocessing.get_context("spawn"),
        # A worker left behind by a killed service would train on for nobody.
        initializer=die_with_parent,
    )
    # Start the worker now (spawn + imports take seconds), not on the first training.
    pool.submit(_warm_up)
    return pool


class Trainer:
    """Runs trainings in a worker process and publishes their models.

    Crash safety: each running job has a heartbeat in the database and a short Redis lock
    renewed with it (`start()` runs the loop). Any replica fails jobs whose heartbeat is
    stale (their process died); a worker killed mid-job fails that job and is replaced.
    """

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
        self.owner = f"{socket.gethostname()}-{os.getpid()}"
        self._pool = _new_pool()
        self._tasks: dict[str, asyncio.Task[dict[str, Any]]] = {}
        self._locks: dict[str, str] = {}  # job id -> its lock key
        self._stopping = asyncio.Event()
        self._watch: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Run the heartbeat and the reaper of dead processes' jobs in the background."""
        self._stopping.clear()
        self._watch = asyncio.create_task(self._watch_jobs(), name="training-heartbeat")

    async def aclose(self, grace_seconds: float = 5.0) -> None:
        """Cancel running trainings (their jobs are marked failed) and stop the worker."""
        self._stopping.set()
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=grace_seconds)
        if self._watch is not None:
            self._watch.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watch
        # A worker busy with a cancelled training would keep the process alive until it
        # finished (the executor joins it at exit).
        for pid in self.worker_pids():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
        self._pool.shutdown(wait=False, cancel_futures=True)

    def worker_pids(self) -> list[int]:
        """Process ids of the training worker(s)."""
        # ProcessPoolExecutor has no public accessor before Python 3.14.
        processes = getattr(self._pool, "_processes", None) or {}
        return list(processes)

    def _replace_pool(self, broken: concurrent.futures.ProcessPoolExecutor) -> None:
        """A worker died (OOM kill, signal): later trainings get a fresh one."""
        if self._pool is broken:
            logger.warning("training worker died; starting a new one")
            broken.shutdown(wait=False, cancel_futures=True)
            self._pool = _new_pool()

    async def _watch_jobs(self) -> None:
        interval = self.settings.job_heartbeat_seconds
        backoff = Backoff(interval, max(interval, 30.0))
        while not self._stopping.is_set():
            delay = interval
            try:
                await self.heartbeat()
                await self.fail_stale_jobs()
                backoff.reset()
            except Exception as exc:
                delay = backoff.next()
                logger.warning("training heartbeat failed (%s: %s); retrying in %.1fs",
                               type(exc).__name__, exc, delay)  # fmt: skip
            await sleep_unless(self._stopping, delay)

    async def heartbeat(self) -> None:
        """Say this process's jobs are alive, and keep their locks."""
        if not self._tasks:
            return
        async with self.sessionmaker() as session, session.begin():
            await repository.beat_jobs(session, list(self._tasks))
        ttl_ms = int(self.settings.train_lock_ttl_seconds * 1000)
        for job_id, lock in list(self._locks.items()):
            renewed = await self.redis.eval(_RENEW_LOCK, 1, lock, job_id, ttl_ms)  # type: ignore[misc]
            if not renewed and not await self.redis.set(lock, job_id, nx=True, px=ttl_ms):
                logger.warning("training job %s lost its lock %s to another job", job_id, lock)

    async def fail_stale_jobs(self) -> list[str]:
        """Fail jobs (of any replica) whose heartbeat stopped: their process is gone."""
        async with self.sessionmaker() as session, session.begin():
            failed = await repository.fail_stale_jobs(
                session, self.settings.job_stale_seconds, INTERRUPTED
            )
        for job_id in failed:
            logger.warning("training job %s failed: its process stopped heartbeating", job_id)
            await self.redis.hset(progress_key(job_id), mapping={"stage": "failed"})
        return failed

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
        ttl_ms = int(self.settings.train_lock_ttl_seconds * 1000)
        if not await self.redis.set(lock, job_id, nx=True, px=ttl_ms):
            raise Conflict("A training on this dataset is already running; try again when it ends")
        try:
            async with self.sessionmaker() as session, session.begin():
                session.add(TrainingJob(id=job_id, status="queued", params=body,
                                        requested_by=user_id, owner=self.owner,
                                        heartbeat_at=datetime.now(UTC)))  # fmt: skip
            await self.redis.hset(
                progress_key(job_id), mapping={"progress": "0", "stage": "queued"}
            )
        except BaseException:
            await self._release(lock, job_id)
            raise
        self._locks[job_id] = lock
        task = asyncio.create_task(self._run(job_id, params, dataset, dataset_id, user_id, lock))
        self._tasks[job_id] = task
        task.add_done_callback(lambda done: self._finished(job_id, done))
        return job_id, task

    async def _release(self, lock: str, job_id: str) -> None:
        try:
            await self.redis.eval(_RELEASE_LOCK, 1, lock, job_id)  # type: ignore[misc]
        except Exception as exc:  # it expires on its own within the TTL
            logger.warning("could not release training lock %s: %s", lock, exc)

    def _finished(self, job_id: str, task: asyncio.Task[dict[str, Any]]) -> None:
        self._tasks.pop(job_id, None)
        self._locks.pop(job_id, None)
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
            trained = await self._train_in_worker(job_id, dataset, params)
            await self.redis.hset(
                progress_key(job_id), mapping={"progress": "0.97", "stage": "publishing"}
            )
            result = await self.publish(trained, dataset_id, user_id, time.perf_counter() - started)
            await self.redis.hset(progress_key(job_id), mapping={"progress": "1", "stage": "done"})
            await self._set_job(
                job_id, status="succeeded", result=result, finished_at=datetime.now(UTC)
            )
            return result
        except BaseException as exc:
            if isinstance(exc, asyncio.CancelledError):
                message = CANCELLED
            elif isinstance(exc, BrokenProcessPool):
                message = WORKER_DIED
            else:
                message = str(exc) or type(exc).__name__
            logger.error("training job %s failed: %s", job_id, message, exc_info=exc)
            # Shielded: a second cancel (shutdown) must not leave the job "running".
            await asyncio.shield(self._fail_job(job_id, message))
            if not isinstance(exc, Exception) or isinstance(exc, DomainError):
                raise
            if isinstance(exc, ValueError):  # the data can't be clustered as asked
                raise Unprocessable(f"Training failed: {message}") from exc
            if isinstance(exc, BrokenProcessPool):
                raise ServiceUnavailable(f"Training failed: {message}") from exc
            raise ServiceUnavailable("Training failed; see the ml-service log") from exc
        finally:
            await asyncio.shield(self._release(lock, job_id))

    async def _train_in_worker(
        self, job_id: str, dataset: Path, params: TrainingParams
    ) -> dict[str, Any]:
        loop = asyncio.get_running_loop()
        call = functools.partial(
            run_training, job_id, str(dataset), params, self.settings.redis_url
        )
        pool = self._pool
        try:
            future = loop.run_in_executor(pool, call)
        except BrokenProcessPool:
            # The worker died while idle: this job gets a fresh one.
            self._replace_pool(pool)
            pool = self._pool
            future = loop.run_in_executor(pool, call)
        try:
            return await future
        except BrokenProcessPool:
            self._replace_pool(pool)
            raise

    async def _fail_job(self, job_id: str, message: str) -> None:
        try:
            await self.redis.hset(progress_key(job_id), mapping={"stage": "failed"})
            await self._set_job(
                job_id, status="failed", error=message[:1000], finished_at=datetime.now(UTC)
            )
        except Exception:  # the reaper fails it once its heartbeat is stale
            logger.exception("could not mark training job %s failed", job_id)

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
