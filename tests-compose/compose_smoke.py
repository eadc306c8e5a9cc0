"""The compose stack, built from docker-compose.yml, exercised through its published gateway.

Run by scripts/compose-test.sh (`make compose-test`), which starts the stack and passes
COMPOSE_TEST_URL, COMPOSE_TEST_COMMAND and the first admin's credentials. The steps run in
file order and share what they create; the last ones run after `compose restart`.
"""

from __future__ import annotations

import os
import secrets
import shlex
import subprocess
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

URL = os.environ.get("COMPOSE_TEST_URL", "")
COMPOSE = shlex.split(os.environ.get("COMPOSE_TEST_COMMAND", ""))
ADMIN = {
    "username": os.environ.get("COMPOSE_TEST_ADMIN_USERNAME", ""),
    "password": os.environ.get("COMPOSE_TEST_ADMIN_PASSWORD", ""),
}
CUSTOMER = {
    "sex": "Female",
    "age": 31,
    "annual_income": 72,
    "spending_score": 81,
    "purchase_frequency": 24,
}
COMPONENTS = ("gateway", "auth", "profile", "ml", "postgres", "redis", "model")

if not (URL and COMPOSE and ADMIN["password"]):
    pytest.exit("run through scripts/compose-test.sh (make compose-test)", returncode=2)


@dataclass
class Scenario:
    """What the steps created, checked again after the restart."""

    user: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    admin_headers: dict[str, str] = field(default_factory=dict)
    profile_id: int = 0
    predictions: int = 0  # each one is an entry in the user's history
    versions: list[str] = field(default_factory=list)
    revoked_token: str = ""


scenario = Scenario()


@pytest.fixture(scope="module")
def http() -> Any:
    with httpx.Client(base_url=URL, timeout=30) as client:
        yield client


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def login(http: httpx.Client, username: str, password: str) -> str:
    response = http.post("/auth/login", json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


def wait_healthy(http: httpx.Client, seconds: float = 240) -> dict[str, Any]:
    deadline = time.monotonic() + seconds
    last: object = "no answer"
    while time.monotonic() < deadline:
        try:
            response = http.get("/health")
            last = response.text
            if response.status_code == 200 and response.json()["status"] == "ok":
                return dict(response.json())
        except httpx.HTTPError as exc:
            last = repr(exc)
        time.sleep(1)
    raise AssertionError(f"not healthy after {seconds:.0f} s: {last}")


def eventually(check: Any, seconds: float = 10) -> Any:
    """Poll `check` until it returns something truthy (history and reloads are async)."""
    deadline = time.monotonic() + seconds
    while True:
        result = check()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(0.2)


def predict(http: httpx.Client, path: str = "/predict", body: Any = CUSTOMER) -> dict[str, Any]:
    response = http.post(path, json=body, headers=scenario.headers)
    assert response.status_code == 200, response.text
    scenario.predictions += 1
    return dict(response.json())


def predicted_version(http: httpx.Client) -> str:
    return str(predict(http)["model_version"])


def history_total(http: httpx.Client) -> int:
    return int(http.get("/history", headers=scenario.headers).json()["total"])


def compose_run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*COMPOSE, *args], capture_output=True, text=True, timeout=300)


def compose(*args: str) -> str:
    done = compose_run(*args)
    assert done.returncode == 0, done.stderr
    return done.stdout


class TestFreshStack:
    def test_health_is_green_with_operator_figures(self, http: httpx.Client) -> None:
        components = wait_healthy(http)["components"]
        for name in COMPONENTS:
            assert components[name]["status"] == "ok", (name, components[name])
        for name in ("gateway", "auth", "profile", "ml"):
            assert components[name]["memory_rss_mb"] > 0
        assert components["ml"]["model_volume"]["free_mb"] > 0

    def test_the_gateway_serves_the_console(self, http: httpx.Client) -> None:
        response = http.get("/ui/")
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/html")

    def test_register_login_predict_and_history(self, http: httpx.Client) -> None:
        suffix = secrets.token_hex(4)
        scenario.user = {
            "username": f"smoke_{suffix}",
            "email": f"smoke_{suffix}@example.com",
            "password": f"Passw0rd-{suffix}",
            "full_name": "Smoke Test",
        }
        created = http.post("/auth/register", json=scenario.user)
        assert created.status_code == 201, created.text
        scenario.headers = bearer(login(http, scenario.user["username"], scenario.user["password"]))
        assert 0 <= predict(http)["confidence"] <= 100
        assert eventually(lambda: history_total(http) == 1)

    def test_a_saved_profile_predicts_through_profile_service(self, http: httpx.Client) -> None:
        created = http.post(
            "/profiles/", json={"name": "Jane", **CUSTOMER}, headers=scenario.headers
        )
        assert created.status_code == 201, created.text
        scenario.profile_id = created.json()["id"]
        predict(http, f"/profiles/{scenario.profile_id}/predict", body=None)

        def history() -> list[Any]:
            items = http.get("/history", headers=scenario.headers).json()["history"]
            return [i for i in items if i.get("profile_id") == scenario.profile_id]

        assert eventually(history)

    def test_a_training_job_publishes_a_model_and_a_rollback_reloads(
        self, http: httpx.Client
    ) -> None:
        scenario.admin_headers = bearer(login(http, ADMIN["username"], ADMIN["password"]))
        first = predicted_version(http)
        job = http.post("/train/jobs", json={"k_max": 5}, headers=scenario.admin_headers)
        assert job.status_code == 202, job.text

        def finished() -> dict[str, Any] | None:
            status = http.get(f"/train/jobs/{job.json()['job_id']}", headers=scenario.admin_headers)
            body = dict(status.json())
            return body if body["status"] in ("succeeded", "failed") else None

        result = eventually(finished, seconds=180)
        assert result and result["status"] == "succeeded", result
        trained = result["result"]["model_version"]
        assert trained != first
        assert eventually(lambda: predicted_version(http) == trained)
        activated = http.post(f"/models/{first}/activate", headers=scenario.admin_headers)
        assert activated.status_code == 200, activated.text
        assert eventually(lambda: predicted_version(http) == first)
        scenario.versions = [first, trained]

    def test_a_logged_out_token_is_refused(self, http: httpx.Client) -> None:
        token = login(http, scenario.user["username"], scenario.user["password"])
        assert http.post("/auth/logout", headers=bearer(token)).status_code == 200
        assert http.get("/auth/me", headers=bearer(token)).status_code == 401
        scenario.revoked_token = token

    def test_services_have_their_own_database_roles(self) -> None:
        query = [
            "exec",
            "-T",
            "postgres",
            "sh",
            "-c",
            'psql -U "$POSTGRES_USER" -d "$POSTGRES_DB" -Atc "SELECT nspname || \':\' ||'
            " pg_get_userbyid(nspowner) FROM pg_namespace WHERE nspname IN"
            " ('auth', 'profiles', 'ml') ORDER BY 1\"",
        ]
        assert compose(*query).split() == [
            "auth:auth_service",
            "ml:ml_service",
            "profiles:profile_service",
        ]
        # The profile-service role can't read the auth schema (its own URL, from compose).
        denied = compose_run(
            "exec",
            "-T",
            "profile-service",
            "python",
            "-c",
            "import asyncio, asyncpg, os\n"
            "async def main():\n"
            "    url = os.environ['DATABASE_URL'].replace('+asyncpg', '')\n"
            "    conn = await asyncpg.connect(url)\n"
            "    await conn.fetch('SELECT * FROM auth.users')\n"
            "asyncio.run(main())",
        )
        assert denied.returncode != 0
        assert "permission denied for schema auth" in denied.stderr


class TestAfterRestart:
    def test_restart_brings_every_service_back(self, http: httpx.Client) -> None:
        # Every prediction is in the history before the restart (it is recorded async).
        assert eventually(lambda: history_total(http) == scenario.predictions)
        compose("restart")
        components = wait_healthy(http)["components"]
        assert all(components[name]["status"] == "ok" for name in COMPONENTS)

    def test_sessions_accounts_and_revocations_survive(self, http: httpx.Client) -> None:
        # The signing key (volume), users (Postgres) and the revocation (Redis) all persisted.
        me = http.get("/auth/me", headers=scenario.headers)
        assert me.status_code == 200 and me.json()["username"] == scenario.user["username"]
        assert login(http, scenario.user["username"], scenario.user["password"])
        assert http.get("/auth/me", headers=bearer(scenario.revoked_token)).status_code == 401

    def test_profiles_and_history_survive(self, http: httpx.Client) -> None:
        profile = http.get(f"/profiles/{scenario.profile_id}", headers=scenario.headers)
        assert profile.status_code == 200 and profile.json()["name"] == "Jane"
        assert history_total(http) == scenario.predictions  # nothing lost, nothing twice

    def test_models_and_the_active_choice_survive(self, http: httpx.Client) -> None:
        models = http.get("/models", headers=scenario.admin_headers).json()["models"]
        assert set(scenario.versions) <= {m["version"] for m in models}
        first, _ = scenario.versions
        assert [m["version"] for m in models if m["active"]] == [first]
        assert predicted_version(http) == first

    def test_the_admin_bootstrap_left_the_admin_alone(self) -> None:
        logs = compose("logs", "--no-color", "auth-service")
        assert "Created admin 'compose-admin'." in logs
        assert "User 'compose-admin' exists: left unchanged" in logs
