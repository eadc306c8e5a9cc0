"""Training survives crashes: dead worker, dead process (stale heartbeat), shutdown, bootstrap."""

from __future__ import annotations

import asyncio
import os
import signal
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from ml_service.engine.generator import generate_customers
from ml_service.main import bootstrap_model
from ml_service.schemas import TrainRequest
from ml_service.serving.model_store import ModelStore
from ml_service.settings import MlSettings
from ml_service.tables import Dataset, TrainingJob
from ml_service.training.trainer import INTERRUPTED, Trainer
from ml_service.training.worker import progress_key
from redis.asyncio import Redis
from segshared.testing import TokenSigner, eventually

from .helpers import StartedApp, auth


@pytest.fixture(scope="module")
async def big_upload(
    started_app: StartedApp, signer: TokenSigner, tmp_path_factory: pytest.TempPathFactory
) -> Dataset:
    """A dataset large enough that a training takes seconds (time to kill its worker),
    uploaded once per module; its row as stored."""
    app = started_app.app
    path = tmp_path_factory.mktemp("big") / "big.csv"
    generate_customers(300_000, 7).drop(columns=["customer_id"]).to_csv(path, index=False)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://ml", timeout=120) as http:
        with path.open("rb") as handle:
            created = await http.post(
                "/datasets",
                files={"file": ("big.csv", handle, "text/csv")},
                headers=auth(signer, 41, "analyst"),
            )
    assert created.status_code == 201, created.text
    async with app.state.sessionmaker() as session:
        row = await session.get(Dataset, created.json()["dataset_id"])
    assert row is not None
    return row


@pytest.fixture
async def big_dataset(app: FastAPI, big_upload: Dataset) -> int:
    """The big dataset's id, registered again after `clean_state` emptied the tables."""
    async with app.state.sessionmaker() as session, session.begin():
        session.add(Dataset(**big_upload.model_dump()))
    assert big_upload.id is not None
    return big_upload.id


async def job_status(client: httpx.AsyncClient, headers: dict[str, str], job_id: str) -> dict:
    return (await client.get(f"/train/jobs/{job_id}", headers=headers)).json()


async def worker_is_training(redis: Redis, job_id: str) -> bool:
    """The worker process has started on the job (it reports its first stage itself)."""
    return (await redis.hget(progress_key(job_id), "stage")) not in (None, "queued")


@pytest.fixture
async def spare_trainer(
    app: FastAPI, settings: MlSettings, tmp_path: Path
) -> AsyncIterator[tuple[Trainer, ModelStore]]:
    """A second trainer (another 'replica') with its own worker and an empty model dir."""
    own = settings.model_copy(update={"model_dir": str(tmp_path / "models")})
    store = ModelStore(own.model_path, own.reload_poll_seconds)
    trainer = Trainer(own, app.state.sessionmaker, app.state.redis, store)
    trainer.start()
    yield trainer, store
    await trainer.aclose()


class TestWorkerDeath:
    async def test_killed_worker_fails_the_job_and_the_next_training_succeeds(
        self,
        client: httpx.AsyncClient,
        signer: TokenSigner,
        app: FastAPI,
        redis: Redis,
        big_dataset: int,
    ) -> None:
        analyst = auth(signer, 31, "analyst")
        accepted = await client.post(
            "/train/jobs",
            json={"dataset_id": big_dataset, "k_min": 2, "k_max": 10},
            headers=analyst,
        )
        assert accepted.status_code == 202, accepted.text
        job_id = accepted.json()["job_id"]
        await eventually(lambda: worker_is_training(redis, job_id), "worker started")
        [pid] = app.state.trainer.worker_pids()
        os.kill(pid, signal.SIGKILL)

        async def finished() -> dict | None:
            status = await job_status(client, analyst, job_id)
            return status if status["status"] in ("failed", "succeeded") else None

        final = await eventually(finished, "job finished")
        assert final["status"] == "failed" and "worker process died" in final["error"]
        # The pool was replaced and the dataset's lock released: the same dataset trains now.
        again = await client.post(
            "/train", json={"dataset_id": big_dataset, "n_clusters": 3}, headers=analyst
        )
        assert again.status_code == 200, again.text
        assert app.state.trainer.worker_pids() != [pid]

    async def test_worker_dead_while_idle_is_replaced_for_the_next_job(
        self, client: httpx.AsyncClient, signer: TokenSigner, app: FastAPI
    ) -> None:
        [pid] = await eventually(
            lambda: asyncio.sleep(0, app.state.trainer.worker_pids()), "worker up"
        )
        os.kill(pid, signal.SIGKILL)
        await asyncio.sleep(0.5)  # the executor notices and marks itself broken
        response = await client.post(
            "/train", json={"n_clusters": 2}, headers=auth(signer, 31, "analyst")
        )
        assert response.status_code == 200, response.text


@pytest.fixture
async def reaper(
    app: FastAPI, settings: MlSettings, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Trainer]:
    """A trainer whose `fail_stale_jobs` is the only one that finds stale jobs: the app's
    own background reaper looks for day-old heartbeats meanwhile."""
    trainer = Trainer(
        settings.model_copy(), app.state.sessionmaker, app.state.redis, app.state.store
    )
    monkeypatch.setattr(settings, "job_stale_seconds", 86_400)
    yield trainer
    await trainer.aclose()


class TestDeadProcesses:
    async def test_only_jobs_with_a_stale_heartbeat_are_failed(
        self, app: FastAPI, reaper: Trainer
    ) -> None:
        now = datetime.now(UTC)
        dead, alive, queued_long_ago = (uuid.uuid4().hex for _ in range(3))
        async with app.state.sessionmaker() as session, session.begin():
            session.add_all(
                [
                    TrainingJob(
                        id=dead,
                        status="running",
                        params={},
                        owner="gone-1",
                        heartbeat_at=now - timedelta(minutes=10),
                    ),
                    TrainingJob(
                        id=alive,
                        status="running",
                        params={},
                        owner="other-replica-2",
                        heartbeat_at=now,
                    ),
                    TrainingJob(
                        id=queued_long_ago,
                        status="queued",
                        params={},
                        owner=None,
                        heartbeat_at=None,
                        created_at=now - timedelta(hours=1),
                    ),
                ]
            )
        failed = await reaper.fail_stale_jobs()
        assert set(failed) >= {dead, queued_long_ago} and alive not in failed
        async with app.state.sessionmaker() as session, session.begin():
            rows = {j: await session.get(TrainingJob, j) for j in (dead, alive, queued_long_ago)}
            assert rows[dead].status == rows[queued_long_ago].status == "failed"
            assert rows[dead].error == INTERRUPTED and rows[dead].finished_at is not None
            assert rows[alive].status == "running"

    async def test_a_live_job_keeps_a_short_lock_alive_and_releases_it(
        self, spare_trainer: tuple[Trainer, ModelStore], redis: Redis, big_dataset: int
    ) -> None:
        trainer, _ = spare_trainer
        lock = f"ml:train-lock:{big_dataset}"
        job_id, task = await trainer.submit(
            TrainRequest(dataset_id=big_dataset, n_clusters=4), None
        )
        assert await redis.get(lock) == job_id
        ttl_ms = await redis.pttl(lock)
        assert 0 < ttl_ms <= trainer.settings.train_lock_ttl_seconds * 1000
        await task
        assert await redis.get(lock) is None


class TestShutdown:
    async def test_shutdown_marks_the_running_job_failed(
        self,
        spare_trainer: tuple[Trainer, ModelStore],
        app: FastAPI,
        redis: Redis,
        big_dataset: int,
    ) -> None:
        trainer, _ = spare_trainer
        job_id, task = await trainer.submit(TrainRequest(dataset_id=big_dataset), None)
        await eventually(lambda: worker_is_training(redis, job_id), "worker started")
        await trainer.aclose()
        assert task.cancelled()
        async with app.state.sessionmaker() as session:
            job = await session.get(TrainingJob, job_id)
        assert job is not None and job.status == "failed"
        assert job.error is not None and job.error.startswith("interrupted")
        assert await redis.get(f"ml:train-lock:{big_dataset}") is None


class TestBootstrap:
    async def test_first_model_is_retried_until_it_exists(
        self, spare_trainer: tuple[Trainer, ModelStore], redis: Redis
    ) -> None:
        """A replica that died holding the bootstrap lock delays, but never stops, it."""
        trainer, store = spare_trainer
        await redis.set("ml:train-lock:default", "a-dead-replicas-job", px=1500)
        await asyncio.wait_for(bootstrap_model(store, trainer, retry_cap_seconds=1.0), 120)
        assert store.model is not None
