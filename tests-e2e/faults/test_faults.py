"""Fault injection against the real stack, on a PostgreSQL and a Redis of the suite's own.

Tests run in file order; the Redis ones come last (they stop the Redis every service
shares). Each test prints "N operations, M lost, K duplicated, recovery in S s" (also repeated at
the end of the run). Operations are predictions that answered 200 (trainings for the
worker test); lost means answered but missing from history; everything is loopback only
and bounded in time. Run with `make test-faults`.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
import redis
from faultkit import (
    SUMMARY,
    PredictLoad,
    PrivatePostgres,
    PrivateRedis,
    cmdline,
    converged_history,
    descendants,
    wait_until,
)
from ml_service.engine.generator import generate_customers
from segshared.contracts.events import HISTORY_STREAM
from segshared.streams import dead_letter_stream

from devstack import Stack, isolated_environment, running


def report(request: pytest.FixtureRequest, name: str, line: str) -> None:
    """Print a result line now (past output capture) and keep it for the summary table."""
    SUMMARY.append(f"{name}: {line}")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if capture is not None:
        with capture.global_and_fixture_disabled():
            print(f"\n[fault] {name}: {line}", flush=True)


@pytest.fixture(scope="module")
def infra() -> Iterator[tuple[PrivatePostgres, PrivateRedis]]:
    root = Path(tempfile.mkdtemp(prefix="seg-faults-"))
    root.chmod(0o755)  # the postgres user must reach its data directory inside
    postgres = PrivatePostgres(root / "pg")
    (root / "pg").mkdir()
    redis_dir = root / "redis"
    redis_dir.mkdir()
    private_redis = PrivateRedis(redis_dir)
    postgres.create()
    try:
        private_redis.start()
        yield postgres, private_redis
    finally:
        private_redis.stop()
        postgres.stop("immediate")
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def fault_stack(infra: tuple[PrivatePostgres, PrivateRedis]) -> Iterator[Stack]:
    postgres, private_redis = infra
    workdir = Path(tempfile.mkdtemp(prefix="seg-faults-stack-"))
    env = isolated_environment(
        {
            "ENVIRONMENT": "test",
            "DATABASE_URL": postgres.url,
            "REDIS_URL": private_redis.url,
            "MODEL_DIR": str(workdir / "models"),
            "AUTH_KEY_DIR": str(workdir / "keys"),
            "ADMIN_USERNAME": "fault_admin",
            "ADMIN_PASSWORD": "Adm1n-" + secrets.token_urlsafe(12),
            "ADMIN_EMAIL": "fault_admin@example.com",
            "DEFAULT_DATASET_ROWS": "2000",
            "LOG_LEVEL": "INFO",
        }
    )
    try:
        with running(env, workdir / "logs") as stack:
            yield stack
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture(scope="module")
def url(fault_stack: Stack) -> str:
    return fault_stack.gateway_url


@pytest.fixture(scope="module")
def admin(url: str, fault_stack: Stack) -> dict[str, str]:
    env = fault_stack.env
    login = httpx.post(
        url + "/auth/login",
        timeout=30,
        json={"username": env["ADMIN_USERNAME"], "password": env["ADMIN_PASSWORD"]},
    )
    assert login.status_code == 200, login.text
    return {"Authorization": f"Bearer {login.json()['access_token']}"}


def new_user(url: str, admin: dict[str, str], role: str = "user") -> dict[str, str]:
    """Register (and promote) a user; their bearer headers."""
    name = f"f_{secrets.token_hex(4)}"
    password = f"Passw0rd-{name}"
    created = httpx.post(
        url + "/auth/register",
        timeout=30,
        json={
            "email": f"{name}@example.com",
            "username": name,
            "full_name": name,
            "password": password,
        },
    )
    assert created.status_code == 201, created.text
    if role != "user":
        promoted = httpx.put(
            f"{url}/users/{created.json()['id']}/role",
            json={"role": role},
            headers=admin,
            timeout=30,
        )
        assert promoted.status_code == 200, promoted.text
    login = httpx.post(
        url + "/auth/login", timeout=30, json={"username": name, "password": password}
    )
    assert login.status_code == 200, login.text
    return {"Authorization": f"Bearer {login.json()['access_token']}"}


def settle(url: str, headers: dict[str, str], seconds: float = 120) -> float:
    """Wait until a prediction answers 200 again; return how long that took."""
    with httpx.Client(base_url=url, timeout=10) as client:
        body = {
            "sex": "Male",
            "age": 40,
            "annual_income": 0.5,
            "spending_score": 40,
            "purchase_frequency": 3,
        }

        def ok() -> bool:
            try:
                return client.post("/predict", json=body, headers=headers).status_code == 200
            except httpx.HTTPError:
                return False

        return wait_until(ok, seconds, "predict answers 200", step=0.2)


class TestFaults:
    def test_ml_service_killed_under_predict_load(
        self, request: pytest.FixtureRequest, fault_stack: Stack, url: str, admin: dict[str, str]
    ) -> None:
        user = new_user(url, admin)
        with PredictLoad(url, user) as load:
            wait_until(lambda: len(load.answered()) >= 50, 60, "load running")
            killed_at = time.monotonic()
            fault_stack.kill("ml")
            first_503 = wait_until(
                lambda: any(o.status == 503 for o in load.since(killed_at)),
                10,
                "503 after the kill",
            )
            time.sleep(2)
            restarted_at = time.monotonic()
            fault_stack.start("ml")
            wait_until(
                lambda: any(o.status == 200 for o in load.since(restarted_at)),
                120,
                "200 after the restart",
            )
            recovery = time.monotonic() - restarted_at
            time.sleep(2)
        statuses = load.statuses()
        errors = {o.error for o in load.outcomes if o.status == 0}
        # A dead service is a 503 (502 for the rare request it dies in the middle of
        # answering), never a 500 or a dropped connection.
        assert set(statuses) <= {200, 502, 503}, (statuses, errors)
        assert max(o.seconds for o in load.outcomes) < 35  # answered within the timeout
        tally, _ = converged_history(url, user, load.answered(), 60)
        report(
            request,
            "kill -9 ml-service under predict load",
            f"{tally.operations} operations, {tally.lost} lost, {tally.duplicated} "
            f"duplicated, recovery in {recovery:.1f} s (first 503 {first_503:.2f} s after "
            f"the kill, {statuses[503]} answers 503)",
        )
        assert tally.lost == 0 and tally.duplicated == 0

    def test_postgres_restarted_under_predict_load(
        self,
        request: pytest.FixtureRequest,
        infra: tuple[PrivatePostgres, PrivateRedis],
        url: str,
        admin: dict[str, str],
    ) -> None:
        postgres, _ = infra
        user = new_user(url, admin)
        with PredictLoad(url, user) as load:
            wait_until(lambda: len(load.answered()) >= 50, 60, "load running")
            postgres.stop("fast")
            time.sleep(2)  # predictions go on; history waits in the stream
            postgres.start()
            back_at = time.monotonic()
            time.sleep(2)
        statuses = load.statuses()
        assert set(statuses) <= {200, 503}, statuses
        tally, _ = converged_history(url, user, load.answered(), 90)
        recovery = time.monotonic() - back_at if tally.lost == 0 else float("inf")
        report(
            request,
            "restart PostgreSQL under predict load",
            f"{tally.operations} operations, {tally.lost} lost, {tally.duplicated} "
            f"duplicated, recovery in {recovery:.1f} s (history complete after the "
            f"restart; answers {dict(statuses)})",
        )
        assert tally.lost == 0 and tally.duplicated == 0

    def test_training_worker_killed_mid_job(
        self,
        request: pytest.FixtureRequest,
        fault_stack: Stack,
        url: str,
        admin: dict[str, str],
        tmp_path: Path,
    ) -> None:
        analyst = new_user(url, admin, "analyst")
        path = tmp_path / "customers.csv"
        generate_customers(300_000, 11).drop(columns=["customer_id"]).to_csv(path, index=False)
        with path.open("rb") as handle:
            created = httpx.post(
                url + "/datasets",
                files={"file": ("c.csv", handle, "text/csv")},
                headers=analyst,
                timeout=300,
            )
        assert created.status_code == 201, created.text
        dataset = created.json()["dataset_id"]
        job = httpx.post(
            url + "/train/jobs", json={"dataset_id": dataset}, headers=analyst, timeout=30
        ).json()["job_id"]

        def status() -> dict:
            return httpx.get(f"{url}/train/jobs/{job}", headers=analyst, timeout=30).json()

        wait_until(lambda: status()["stage"] not in ("queued", "running"), 60, "worker busy")
        ml = fault_stack.pid("ml")
        [worker] = [p for p in descendants(ml) if "spawn_main" in cmdline(p)]
        killed_at = time.monotonic()
        os.kill(worker, signal.SIGKILL)
        wait_until(lambda: status()["status"] != "running", 30, "job no longer running")
        final = status()
        failed_after = time.monotonic() - killed_at
        # Same dataset (its lock must be free), short elbow range: the recovery, not the math.
        again = httpx.post(
            url + "/train",
            headers=analyst,
            timeout=300,
            json={"dataset_id": dataset, "n_clusters": 3, "k_min": 2, "k_max": 3},
        )
        recovery = time.monotonic() - killed_at
        succeeded = int(again.status_code == 200)
        report(
            request,
            "kill the training worker mid-job",
            f"2 operations, {1 - succeeded} lost, 0 duplicated, recovery in {recovery:.1f} s "
            f"(job failed {failed_after:.1f} s after the kill: {final['error']!r}; next "
            f"training {again.status_code})",
        )
        assert final["status"] == "failed" and "worker process died" in final["error"]
        assert again.status_code == 200, again.text

    def test_poison_message_is_dead_lettered(
        self,
        request: pytest.FixtureRequest,
        infra: tuple[PrivatePostgres, PrivateRedis],
        url: str,
        admin: dict[str, str],
    ) -> None:
        _, private_redis = infra
        user = new_user(url, admin)
        client = redis.Redis.from_url(private_redis.url, decode_responses=True)
        poison_id = uuid.uuid4().hex
        # A forged event PostgreSQL refuses (user id beyond int4): the consumer can never store it.
        client.xadd(
            HISTORY_STREAM,
            {
                "event_id": poison_id,
                "user_id": "99999999999",
                "profile_id": "",
                "customer_data": "{}",
                "cluster": "1",
                "cluster_name": "x",
                "confidence": "1",
                "model_version": "v",
                "created_at": datetime.now(UTC).isoformat(),
            },
        )
        added_at = time.monotonic()
        answered = []
        with httpx.Client(base_url=url, timeout=30) as http:
            for i in range(20):
                income = round(5000 + i / 1000, 3)
                response = http.post(
                    "/predict",
                    headers=user,
                    json={
                        "sex": "Male",
                        "age": 40,
                        "annual_income": income,
                        "spending_score": 40,
                        "purchase_frequency": 3,
                    },
                )
                assert response.status_code == 200, response.text
                answered.append(income)
        tally, took = converged_history(url, user, answered, 30)
        dead_after = wait_until(
            lambda: any(
                f.get("event_id") == poison_id
                for _, f in client.xrange(dead_letter_stream(HISTORY_STREAM))
            ),
            60,
            "poison dead-lettered",
        )
        dead_at = time.monotonic() - added_at
        report(
            request,
            "poison message",
            f"{tally.operations} operations, {tally.lost} lost, {tally.duplicated} "
            f"duplicated, recovery in {dead_at:.1f} s (later events stored in {took:.1f} s; "
            f"poison dead-lettered {dead_after:.1f} s after they were)",
        )
        assert tally.lost == 0 and tally.duplicated == 0
        assert client.xpending(HISTORY_STREAM, "profile-service")["pending"] == 0

    def test_redis_restarted_under_predict_load(
        self,
        request: pytest.FixtureRequest,
        infra: tuple[PrivatePostgres, PrivateRedis],
        fault_stack: Stack,
        url: str,
        admin: dict[str, str],
    ) -> None:
        _, private_redis = infra
        user = new_user(url, admin)
        pids = {name: p.pid for name, p in fault_stack.processes.items()}
        with PredictLoad(url, user) as load:
            wait_until(lambda: len(load.answered()) >= 50, 60, "load running")
            private_redis.stop()
            time.sleep(2)
            private_redis.start()
            back_at = time.monotonic()
            settle(url, user)
            # auth-service's first Redis commands since the restart, on connections pooled
            # before it: sent again on fresh ones, so the very first request succeeds.
            new_user(url, admin)
            time.sleep(2)
        # Consumers resumed on their own: no service was restarted.
        assert {name: p.pid for name, p in fault_stack.processes.items()} == pids
        assert all(p.poll() is None for p in fault_stack.processes.values())
        statuses = load.statuses()
        after = load.since(back_at + 1)
        tally, _ = converged_history(url, user, load.answered(), 90)
        recovery = time.monotonic() - back_at if tally.lost == 0 else float("inf")
        report(
            request,
            "restart Redis (AOF) under predict load",
            f"{tally.operations} operations, {tally.lost} lost, {tally.duplicated} "
            f"duplicated, recovery in {recovery:.1f} s (answers {dict(statuses)})",
        )
        # What requests get while Redis is down is the edge's business (503, test
        # below); here: nothing that was answered is lost, and history flows again
        # without restarting anything.
        assert sum(o.status == 200 for o in after) > 0
        assert tally.lost == 0 and tally.duplicated == 0
        # While Redis is down a request fails: 5xx, never a hang or a 4xx.

    def test_redis_outage_answers_503(
        self, infra: tuple[PrivatePostgres, PrivateRedis], url: str, admin: dict[str, str]
    ) -> None:
        _, private_redis = infra
        user = new_user(url, admin)
        private_redis.stop()
        try:
            with httpx.Client(base_url=url, timeout=30) as client:
                answer = client.post(
                    "/predict",
                    headers=user,
                    json={
                        "sex": "Male",
                        "age": 40,
                        "annual_income": 3,
                        "spending_score": 40,
                        "purchase_frequency": 3,
                    },
                )
        finally:
            private_redis.start()
            settle(url, user)
        assert answer.status_code == 503 and "redis" in answer.text.lower()
