"""`make up`'s runner (`python -m devstack up`) as a user runs it: its own process group, real
services on free ports, a test database. It restarts a crashed service, stops on a double
SIGTERM, and takes its services with it when it is killed."""

from __future__ import annotations

import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import redis
from segshared.testing import (
    database_url_for_tests,
    free_port,
    recreate_database,
    redis_url_for_tests,
)

ROOT = Path(__file__).resolve().parents[1]
DATABASE_URL = database_url_for_tests("runner")
REDIS_URL = redis_url_for_tests(14)
PORT_VARS = ("GATEWAY_PORT", "AUTH_SERVICE_PORT", "PROFILE_SERVICE_PORT", "ML_SERVICE_PORT")


def descendants(pid: int) -> set[int]:
    """Every live process below `pid` (from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # "pid (comm) state ppid ...": comm may contain spaces and parentheses.
        fields = stat[stat.rindex(")") + 2 :].split()
        if fields[0] != "Z":
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    found: set[int] = set()
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def alive(pids: set[int]) -> set[int]:
    """The pids that still run (zombies count as gone)."""
    running = set()
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        if state[state.rindex(")") + 2] != "Z":
            running.add(pid)
    return running


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def port_free(port: int) -> bool:
    try:
        httpx.get(f"http://127.0.0.1:{port}/health", timeout=1)
    except httpx.ConnectError:
        return True
    except httpx.HTTPError:
        return False
    return False


def wait_until(check: object, seconds: float, what: str) -> float:
    """Poll `check()` until true; return how long it took."""
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        if check():  # type: ignore[operator]
            return time.monotonic() - started
        time.sleep(0.1)
    raise AssertionError(f"{what}: not within {seconds:.0f}s")


@dataclass
class Runner:
    """A `make up`-style runner in its own process group."""

    process: subprocess.Popen[bytes]
    log: Path
    ports: dict[str, int]

    @property
    def gateway(self) -> str:
        return f"http://127.0.0.1:{self.ports['GATEWAY_PORT']}"

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def service_pid(self, module: str) -> int:
        [pid] = [
            p for p in descendants(self.process.pid) if f"{module}.main:create_app" in cmdline(p)
        ]
        return pid

    def runner_pid(self) -> int:
        """The Python process running devstack (below `uv run`)."""
        candidates = [self.process.pid, *descendants(self.process.pid)]
        return next(
            p
            for p in candidates
            if "-m devstack up" in cmdline(p)
            and Path(cmdline(p).split()[0]).name.startswith("python")
        )


@pytest.fixture
def runner() -> Iterator[Runner]:
    redis.Redis.from_url(REDIS_URL).flushdb()
    recreate_database(DATABASE_URL)
    workdir = Path(tempfile.mkdtemp(prefix="seg-runner-"))
    env = {k: v for k, v in os.environ.items() if not k.endswith(("_PORT", "_SERVICE_URL"))}
    ports = {var: free_port() for var in PORT_VARS}
    env.update({var: str(port) for var, port in ports.items()})
    env.update(
        {
            "ENVIRONMENT": "test",
            "DATABASE_URL": DATABASE_URL,
            "REDIS_URL": REDIS_URL,
            "MODEL_DIR": str(workdir / "models"),
            "AUTH_KEY_DIR": str(workdir / "keys"),
            "ADMIN_USERNAME": "runner_admin",
            "ADMIN_PASSWORD": "Adm1n-" + secrets.token_urlsafe(12),
            "DEFAULT_DATASET_ROWS": "500",
        }
    )
    # What `make up` runs (scripts/up.sh): `uv run`, which forwards signals to the runner.
    uv = shutil.which("uv")
    command = [uv, "run", "--frozen", "python"] if uv else [sys.executable]
    log = workdir / "runner.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [*command, "-m", "devstack", "up"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    started = Runner(process, log, ports)
    everything: set[int] = set()
    try:
        wait_until(
            lambda: "Stack is up" in started.output() or process.poll() is not None, 300, "stack up"
        )
        assert process.poll() is None, started.output()[-4000:]
        everything = descendants(process.pid)
        yield started
    except BaseException:
        sys.stderr.write(f"--- runner log (tail)\n{started.output()[-6000:]}\n")
        raise
    finally:
        everything |= descendants(process.pid)
        for pid in alive(everything | {process.pid}):
            os.kill(pid, signal.SIGKILL)
        process.wait(10)
        shutil.rmtree(workdir, ignore_errors=True)


class TestRunner:
    def test_crashed_service_restarts_and_a_double_sigterm_stops_everything(
        self, runner: Runner
    ) -> None:
        ml = runner.service_pid("ml_service")
        os.kill(ml, signal.SIGKILL)
        wait_until(
            lambda: re.search(r"ml exited with code -9; restarting in \d+s", runner.output()),
            30,
            "crash reported",
        )
        wait_until(lambda: "ml restarted" in runner.output(), 30, "ml restarted")
        wait_until(
            lambda: httpx.get(runner.gateway + "/health", timeout=5).status_code == 200,
            120,
            "healthy again",
        )
        assert runner.service_pid("ml_service") != ml

        processes = descendants(runner.process.pid) | {runner.process.pid}
        # `uv run` forwards a SIGTERM on top of the one the process group gets.
        os.killpg(runner.process.pid, signal.SIGTERM)
        time.sleep(0.001)
        os.killpg(runner.process.pid, signal.SIGTERM)
        took = wait_until(lambda: not alive(processes), 15, "every process stopped")
        assert runner.process.wait(1) == 0
        assert all(port_free(port) for port in runner.ports.values())
        print(f"\ndouble SIGTERM: {len(processes)} processes stopped in {took:.1f}s")

    def test_killed_runner_takes_its_services_along(self, runner: Runner) -> None:
        services = {
            runner.service_pid(m)
            for m in ("auth_service", "profile_service", "ml_service", "gateway")
        }
        everything = descendants(runner.process.pid)
        os.kill(runner.runner_pid(), signal.SIGKILL)
        took = wait_until(lambda: not alive(services), 15, "services stopped")
        wait_until(lambda: not alive(everything), 15, "every child stopped")
        assert all(port_free(port) for port in runner.ports.values())
        print(f"\nrunner SIGKILL: {len(services)} services gone in {took:.1f}s")
