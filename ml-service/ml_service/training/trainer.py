"""Training orchestration: jobs, one run per dataset at a time, publishing new versions.

The CPU work runs in a worker process; this side records the job, reports progress,
writes the version atomically, moves the `current` pointer and announces it.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import dataclasses
import functools
import hashlib
import logging
import multiprocessing
import os
import signal
import socket
import time
import uuid
from collections.abc import Awaitable, Callable
from concurrent.futures.process import BrokenProcessPool
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from redis.asyncio import Redis
from segshared.contracts.events import MODEL_PUBLISHED_CHANNEL
from segshared.errors import (
    Conflict,
    DomainError,
    InvalidField,
    NotFound,
    ServiceUnavailable,
    Unprocessable,
)
from segshared.process import die_with_parent
from segshared.retry import Backoff, sleep_unless
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ml_service import repository
from ml_service.engine.compare import CompareParams
from ml_service.engine.features import ALGORITHMS, select_features
from ml_service.engine.model import TrainedModel
from ml_service.engine.training import TrainingParams
from ml_service.schemas import CompareRequest, CompareResult, TrainRequest, TrainResult
from ml_service.serving import registry
from ml_service.serving.model_store import ModelStore
from ml_service.settings import MlSettings
from ml_service.tables import ModelVersion, TrainingJob
from ml_service.training.datasets import ensure_default_dataset
from ml_service.training.worker import progress_key, run_compare, run_training
from ml_service.webhooks.events import (
    ModelActivated,
    TrainingFailed,
    TrainingSucceeded,
    WebhookEvent,
    raise_event,
)

logger = logging.getLogger("ml_service.training.trainer")

P = TypeVar("P")
R = TypeVar("R")
JobResult = TrainResult | CompareResult
Result = TypeVar("Result", TrainResult, CompareResult)
# A job's work after it is recorded: (job id, dataset file, start time) -> its result.
Work = Callable[[str, Path, float], Awaitable[Result]]

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
        self._tasks: dict[str, asyncio.Task[JobResult]] = {}
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
                logger.warning(
                    "training heartbeat failed (%s: %s); retrying in %.1fs",
                    type(exc).__name__,
                    exc,
                    delay,
                )
            await sleep_unless(self._stopping, delay)

    async def heartbeat(self) -> None:
        """Say this process's jobs are alive, and keep their locks."""
        if not self._tasks:
            return
        async with self.sessionmaker() as session, session.begin():
            await repository.beat_jobs(session, list(self._tasks))
        ttl_ms = int(self.settings.train_lock_ttl_seconds * 1000)
        for job_id, lock in list(self._locks.items()):
            renewed = await self.redis.eval(_RENEW_LOCK, 1, lock, job_id, ttl_ms)
            if not renewed and not await self.redis.set(lock, job_id, nx=True, px=ttl_ms):
                logger.warning("training job %s lost its lock %s to another job", job_id, lock)

    async def fail_stale_jobs(self) -> list[str]:
        """Fail jobs (of any replica) whose heartbeat stopped: their process is gone."""
        async with self.sessionmaker() as session, session.begin():
            failed = await repository.fail_stale_jobs(
                session, self.settings.job_stale_seconds, INTERRUPTED
            )
            for job_id, kind in failed:
                if kind == "train":  # comparisons raise no events
                    await raise_event(session, TrainingFailed(job_id=job_id, error=INTERRUPTED))
        for job_id, _ in failed:
            logger.warning("training job %s failed: its process stopped heartbeating", job_id)
            await self.redis.hset(progress_key(job_id), mapping={"stage": "failed"})
        return [job_id for job_id, _ in failed]

    def _k_range(self, request: TrainRequest | CompareRequest) -> tuple[int, int]:
        k_min = request.k_min or self.settings.default_k_min
        k_max = request.k_max or self.settings.default_k_max
        if k_min > k_max:
            raise InvalidField("k_min", "k_min must not exceed k_max")
        return k_min, k_max

    @staticmethod
    def _features(request: TrainRequest | CompareRequest) -> tuple[str, ...]:
        try:
            return select_features(request.features)
        except ValueError as exc:
            raise InvalidField("features", str(exc)) from exc

    def params(self, request: TrainRequest) -> TrainingParams:
        """Training parameters of a request, with settings' defaults."""
        k_min, k_max = self._k_range(request)
        return TrainingParams(
            n_clusters=request.n_clusters,
            k_min=k_min,
            k_max=k_max,
            seed=self.settings.default_seed,
            silhouette_sample_size=self.settings.silhouette_sample_size,
            minibatch_threshold=self.settings.minibatch_threshold,
            n_init=self.settings.kmeans_n_init,
            algorithm=request.algorithm or "kmeans",
            features=self._features(request),
            gmm_sample_size=self.settings.gmm_sample_size,
            agglomerative_sample_size=self.settings.agglomerative_sample_size,
            projection_sample_size=self.settings.projection_sample_size,
        )

    def compare_params(self, request: CompareRequest) -> CompareParams:
        """Comparison parameters of a request, with settings' defaults."""
        k_min, k_max = self._k_range(request)
        algorithms: list[str] = list(request.algorithms or ALGORITHMS)
        if len(set(algorithms)) != len(algorithms):
            raise InvalidField("algorithms", "Algorithms must not repeat")
        return CompareParams(
            k_min=k_min,
            k_max=k_max,
            algorithms=tuple(algorithms),
            features=self._features(request),
            seed=self.settings.default_seed,
            sample_size=self.settings.compare_sample_size,
            silhouette_sample_size=self.settings.silhouette_sample_size,
            n_init=self.settings.kmeans_n_init,
            minibatch_threshold=self.settings.minibatch_threshold,
            gmm_sample_size=self.settings.gmm_sample_size,
            agglomerative_sample_size=self.settings.agglomerative_sample_size,
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
            dataset = await repository.get_dataset(session, dataset_id)
        if dataset is None:
            raise NotFound("Dataset not found")
        return Path(dataset.path)

    async def submit(
        self, request: TrainRequest, user_id: int | None
    ) -> tuple[str, asyncio.Task[TrainResult]]:
        """Queue a training that publishes its model; 409 while another runs on the dataset.

        Parameters the schema can't check (k_min <= k_max, distinct features) raise
        `InvalidField` before anything is queued.
        """
        params = self.params(request)

        async def work(job_id: str, dataset: Path, started: float) -> TrainResult:
            trained = await self._in_worker(run_training, job_id, dataset, params)
            await self.redis.hset(
                progress_key(job_id), mapping={"progress": "0.97", "stage": "publishing"}
            )
            duration = time.perf_counter() - started
            return await self.publish(trained, request.dataset_id, user_id, duration)

        return await self._submit("train", request, user_id, work)

    async def submit_compare(
        self, request: CompareRequest, user_id: int | None
    ) -> tuple[str, asyncio.Task[CompareResult]]:
        """Queue a comparison (scores only, nothing published); 409 while one runs on the dataset.

        Like `submit`, invalid parameters raise `InvalidField` before anything is queued.
        """
        params = self.compare_params(request)

        async def work(job_id: str, dataset: Path, _started: float) -> CompareResult:
            comparison = await self._in_worker(run_compare, job_id, dataset, params)
            return CompareResult.model_validate(dataclasses.asdict(comparison))

        return await self._submit("compare", request, user_id, work)

    async def _submit(
        self,
        kind: str,
        request: TrainRequest | CompareRequest,
        user_id: int | None,
        work: Work[Result],
    ) -> tuple[str, asyncio.Task[Result]]:
        dataset_id = request.dataset_id
        dataset = await self._dataset_path(dataset_id)
        lock = f"ml:{kind}-lock:{dataset_id or 'default'}"
        job_id = uuid.uuid4().hex
        ttl_ms = int(self.settings.train_lock_ttl_seconds * 1000)
        if not await self.redis.set(lock, job_id, nx=True, px=ttl_ms):
            what = "training" if kind == "train" else "comparison"
            raise Conflict(f"A {what} on this dataset is already running; try again when it ends")
        try:
            async with self.sessionmaker() as session, session.begin():
                session.add(
                    TrainingJob(
                        id=job_id,
                        kind=kind,
                        status="queued",
                        params=request.model_dump(exclude_none=True),
                        requested_by=user_id,
                        owner=self.owner,
                        heartbeat_at=datetime.now(UTC),
                    )
                )
            await self.redis.hset(
                progress_key(job_id), mapping={"progress": "0", "stage": "queued"}
            )
        except BaseException:
            await self._release(lock, job_id)
            raise
        self._locks[job_id] = lock
        task = asyncio.create_task(self._run(job_id, kind, dataset, lock, work))
        self._tasks[job_id] = task
        task.add_done_callback(lambda done: self._finished(job_id, done))
        return job_id, task

    async def _release(self, lock: str, job_id: str) -> None:
        try:
            await self.redis.eval(_RELEASE_LOCK, 1, lock, job_id)
        except Exception as exc:  # it expires on its own within the TTL
            logger.warning("could not release training lock %s: %s", lock, exc)

    def _finished(self, job_id: str, task: asyncio.Task[Result]) -> None:
        self._tasks.pop(job_id, None)
        self._locks.pop(job_id, None)
        if not task.cancelled():
            task.exception()  # already logged and stored on the job; mark it retrieved

    async def _set_job(self, job_id: str, event: WebhookEvent | None = None, **fields: Any) -> None:
        """Update the job; `event` goes to the outbox in the same transaction."""
        async with self.sessionmaker() as session, session.begin():
            job = await session.get(TrainingJob, job_id)
            if job is not None:
                for name, value in fields.items():
                    setattr(job, name, value)
                if event is not None:
                    await raise_event(session, event)

    async def _run(
        self, job_id: str, kind: str, dataset: Path, lock: str, work: Work[Result]
    ) -> Result:
        started = time.perf_counter()
        try:
            await self._set_job(job_id, status="running")
            result = await work(job_id, dataset, started)
            await self.redis.hset(progress_key(job_id), mapping={"progress": "1", "stage": "done"})
            succeeded = None
            if isinstance(result, TrainResult):  # comparisons publish nothing, raise no events
                succeeded = TrainingSucceeded(
                    job_id=job_id,
                    model_version=result.model_version,
                    n_clusters=result.n_clusters,
                    silhouette_score=result.silhouette_score,
                    n_samples=result.n_samples,
                )
            await self._set_job(
                job_id,
                succeeded,
                status="succeeded",
                result=result.model_dump(mode="json"),
                finished_at=datetime.now(UTC),
            )
            return result
        except BaseException as exc:
            if isinstance(exc, asyncio.CancelledError):
                message = CANCELLED
            elif isinstance(exc, BrokenProcessPool):
                message = WORKER_DIED
            else:
                message = str(exc) or type(exc).__name__
            logger.error("job %s failed: %s", job_id, message, exc_info=exc)
            # Shielded: a second cancel (shutdown) must not leave the job "running".
            await asyncio.shield(self._fail_job(job_id, kind, message))
            if not isinstance(exc, Exception) or isinstance(exc, DomainError):
                raise
            if isinstance(exc, ValueError):  # the data can't be clustered as asked
                raise Unprocessable(f"Training failed: {message}") from exc
            if isinstance(exc, BrokenProcessPool):
                raise ServiceUnavailable(f"Training failed: {message}") from exc
            raise ServiceUnavailable("Training failed; see the ml-service log") from exc
        finally:
            await asyncio.shield(self._release(lock, job_id))

    async def _in_worker(
        self, function: Callable[[str, str, P, str], R], job_id: str, dataset: Path, params: P
    ) -> R:
        """Run `function(job_id, dataset, params, redis_url)` in the worker process."""
        loop = asyncio.get_running_loop()
        call = functools.partial(function, job_id, str(dataset), params, self.settings.redis_url)
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

    async def _fail_job(self, job_id: str, kind: str, message: str) -> None:
        try:
            await self.redis.hset(progress_key(job_id), mapping={"stage": "failed"})
            event = TrainingFailed(job_id=job_id, error=message[:1000]) if kind == "train" else None
            await self._set_job(
                job_id, event, status="failed", error=message[:1000], finished_at=datetime.now(UTC)
            )
        except Exception:  # the reaper fails it once its heartbeat is stale
            logger.exception("could not mark training job %s failed", job_id)

    async def publish(
        self, trained: TrainedModel, dataset_id: int | None, user_id: int | None, duration: float
    ) -> TrainResult:
        """Write the version, record it, point `current` at it and announce it."""
        publication = registry.Publication(
            dataset_id=dataset_id,
            trained_by=user_id,
            trained_at=datetime.now(UTC),
            duration_seconds=round(duration, 3),
        )
        async with self.sessionmaker() as session, session.begin():
            model_id = await repository.next_model_id(session)
            fingerprint = hashlib.sha256(trained.centers.tobytes()).hexdigest()[:8]
            version = f"v{model_id}-{fingerprint}"
            checksum = await asyncio.to_thread(
                registry.write_version, self.settings.model_path, version, trained, publication
            )
            row = ModelVersion.from_trained(
                trained, publication, model_id=model_id, version=version, sha256=checksum
            )
            session.add(row)
        await self.activate(version)
        return TrainResult.from_version(row)

    async def activate(self, version: str) -> None:
        """Verify a stored version, make it current everywhere, and serve it here."""
        try:
            await asyncio.to_thread(registry.load_version, self.settings.model_path, version)
        except registry.ArtifactError as exc:
            raise Conflict(f"Model {version} failed verification and was not activated") from exc
        # The pointer moves inside the transaction that queues `model.activated`: if the
        # database refuses the event, the activation fails before the pointer moves.
        async with self.sessionmaker() as session, session.begin():
            previous = registry.read_pointer(self.settings.model_path)
            await raise_event(
                session, ModelActivated(model_version=version, previous_version=previous)
            )
            await asyncio.to_thread(registry.write_pointer, self.settings.model_path, version)
        await self.redis.publish(MODEL_PUBLISHED_CHANNEL, version)
        await self.store.sync()
