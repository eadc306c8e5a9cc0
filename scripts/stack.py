"""Local process runner: migrate, create the first admin, run every service and the gateway.

`python scripts/stack.py up` is what `make up` runs: it restarts a service that crashes
(with backoff) and stops everything on Ctrl-C, SIGTERM or SIGHUP. If the runner dies
without stopping them (SIGKILL), the kernel sends its services SIGTERM, so no orphan
keeps a port.
`tests-e2e/` and `bench/` import `Stack` to boot the same processes on free ports.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import secrets
import select
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import httpx
from segshared.dbroles import SERVICE_ROLES, ensure_roles, passwords_from, role_url
from segshared.process import die_with_parent
from segshared.settings import ServiceSettings

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class ServiceSpec:
    """One process of the stack."""

    name: str
    directory: str
    module: str
    port_var: str
    default_port: int


SERVICES = (
    ServiceSpec("auth", "auth-service", "auth_service", "AUTH_SERVICE_PORT", 8001),
    ServiceSpec("profile", "profile-service", "profile_service", "PROFILE_SERVICE_PORT", 8002),
    ServiceSpec("ml", "ml-service", "ml_service", "ML_SERVICE_PORT", 8003),
)
GATEWAY = ServiceSpec("gateway", "gateway", "gateway", "GATEWAY_PORT", 8000)


def stack_environment(base: dict[str, str]) -> dict[str, str]:
    """Fill in every variable the processes share: ports, URLs, the service credential."""
    env = dict(base)
    host = env.setdefault("STACK_HOST", "127.0.0.1")
    for spec in (*SERVICES, GATEWAY):
        env.setdefault(spec.port_var, str(spec.default_port))
    for spec in SERVICES:
        env.setdefault(f"{spec.name.upper()}_SERVICE_URL", f"http://{host}:{env[spec.port_var]}")
    env.setdefault("JWKS_URL", env["AUTH_SERVICE_URL"] + "/auth/.well-known/jwks.json")
    env.setdefault("GATEWAY_HOST", env.get("GATEWAY_HOST", host))
    env.setdefault("MODEL_DIR", str(ROOT / ".data" / "models"))
    env.setdefault("AUTH_KEY_DIR", str(ROOT / ".data" / "keys"))
    # A fresh internal credential per run unless one is configured: never a default.
    env.setdefault("SERVICE_TOKEN", secrets.token_urlsafe(32))
    env.setdefault("PYTHONUNBUFFERED", "1")
    # Each service connects as its own database role, owning only its schema (see migrate).
    admin_url = env.setdefault(
        "DATABASE_URL", ServiceSettings(environment="development").database_url
    )
    passwords = passwords_from(env)
    for role in SERVICE_ROLES:
        env[f"{role.prefix}_DATABASE_URL"] = role_url(admin_url, role.role, passwords[role.role])
    return env


def migrate(env: dict[str, str]) -> None:
    """Give each service its database role and schema (as DATABASE_URL's user), then apply
    its migrations as that role."""
    for line in asyncio.run(ensure_roles(env["DATABASE_URL"], passwords_from(env))):
        print(f"database role {line}", flush=True)
    for spec in SERVICES:
        subprocess.run(
            [
                sys.executable,
                "-m",
                "alembic",
                "-c",
                str(ROOT / spec.directory / "alembic.ini"),
                "upgrade",
                "head",
            ],
            env=env,
            check=True,
            cwd=ROOT / spec.directory,
        )


def create_admin(env: dict[str, str]) -> None:
    """Create the first admin from ADMIN_USERNAME/ADMIN_PASSWORD (or generate a password)
    unless an admin exists; the command says what it did."""
    subprocess.run(
        [sys.executable, "-m", "auth_service.cli", "create-admin"], env=env, check=True, cwd=ROOT
    )


def gateway_granian_command(host: str, port: str) -> list[str]:
    """The gateway under granian (GATEWAY_SERVER=granian; HTTP parsing in Rust: measured
    ~10% less CPU per proxied request than uvicorn). One worker, one runtime thread."""
    return [
        sys.executable, "-m", "granian", "--interface", "asgi", "--factory",
        "gateway.main:create_app", "--host", host, "--port", port, "--workers", "1",
        "--runtime-threads", "1", "--loop", "uvloop", "--no-ws", "--log-level", "warning",
        "--backlog", "4096", "--workers-kill-timeout", "5",
    ]  # fmt: skip


class StopRequested(Exception):
    """Raised while waiting when a stop signal arrived."""


@dataclass
class _Restart:
    """Crash bookkeeping of one service."""

    count: int = 0
    due: float | None = None


# A crashed service is restarted after 1, 2, 4 ... 30 s; a run this long resets the delay.
RESTART_DELAYS = (1.0, 2.0, 4.0, 8.0, 16.0, 30.0)
STABLE_SECONDS = 60.0


@dataclass
class Stack:
    """The running processes; stop() ends them all (SIGTERM, then SIGKILL).

    `supervise()` (called periodically by `up`) restarts processes that exited on their own.
    Start processes from one long-lived thread: the kernel signals a child when the
    thread that started it ends.
    """

    env: dict[str, str]
    log_dir: Path | None = None
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    _threads: list[threading.Thread] = field(default_factory=list)
    _started_at: dict[str, float] = field(default_factory=dict)
    _restarts: dict[str, _Restart] = field(default_factory=dict)

    @property
    def gateway_url(self) -> str:
        return f"http://{self.env['GATEWAY_HOST']}:{self.env['GATEWAY_PORT']}"

    def command(self, spec: ServiceSpec) -> list[str]:
        host = self.env["GATEWAY_HOST"] if spec is GATEWAY else self.env["STACK_HOST"]
        if spec is GATEWAY and self.env.get("GATEWAY_SERVER", "uvicorn") == "granian":
            return gateway_granian_command(host, self.env[spec.port_var])
        return [
            sys.executable, "-m", "uvicorn", f"{spec.module}.main:create_app", "--factory",
            "--host", host, "--port", self.env[spec.port_var],
            "--loop", "uvloop", "--http", "httptools", "--no-access-log", "--no-proxy-headers",
            "--timeout-graceful-shutdown", "5",
        ]  # fmt: skip

    def process_env(self, spec: ServiceSpec) -> dict[str, str]:
        """The services believe X-Forwarded-For from the gateway only, which reaches them
        over loopback here; the gateway keeps the configured TRUSTED_PROXIES (none by
        default: its peer is the client)."""
        if spec is GATEWAY:
            return self.env
        return {**self.env, "TRUSTED_PROXIES": "127.0.0.1/32,::1/128"}

    def start(self, spec: ServiceSpec) -> None:
        """Start one process, its output prefixed with its name (or written to log_dir)."""
        out: int | IO[bytes]
        if self.log_dir is not None:
            self.log_dir.mkdir(parents=True, exist_ok=True)
            out = (self.log_dir / f"{spec.name}.log").open("ab")
        else:
            out = subprocess.PIPE
        process = subprocess.Popen(
            self.command(spec),
            env=self.process_env(spec),
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            # Own session: Ctrl-C reaches the runner only, which stops services in order.
            start_new_session=True,
            # The runner dying unannounced (SIGKILL, OOM) stops the service too (SIGTERM:
            # its graceful shutdown is bounded).
            preexec_fn=die_with_parent,
        )
        self.processes[spec.name] = process
        self._started_at[spec.name] = time.monotonic()
        if out is subprocess.PIPE:
            thread = threading.Thread(target=_prefix, args=(spec.name, process), daemon=True)
            thread.start()
            self._threads.append(thread)

    def start_all(self) -> None:
        """Start the services, then the gateway."""
        for spec in (*SERVICES, GATEWAY):
            self.start(spec)

    def stop(self, name: str, timeout: float = 10.0) -> None:
        """Stop one process gracefully (SIGTERM), killing it after `timeout`."""
        self._stop_together([name], timeout)

    def _stop_together(self, names: list[str], timeout: float) -> None:
        """SIGTERM every named process at once, SIGKILL what is left after `timeout`."""
        running = []
        for name in names:
            self._restarts.pop(name, None)
            process = self.processes.pop(name, None)
            if process is not None and process.poll() is None:
                _signal_group(process, signal.SIGTERM)
                running.append(process)
        deadline = time.monotonic() + timeout
        for process in running:
            try:
                process.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                _signal_group(process, signal.SIGKILL)
                process.wait()

    def stop_all(self, timeout: float = 10.0) -> None:
        """Stop the gateway first (no new requests), then every service at once; each
        step kills what is left after `timeout` (a service's own shutdown is ~5 s at most)."""
        self._stop_together([GATEWAY.name], timeout / 2)
        self._stop_together([s.name for s in SERVICES], timeout)

    def supervise(self, log: Callable[[str], None] = print) -> None:
        """Restart processes that exited on their own, with backoff; say so in `log`."""
        now = time.monotonic()
        for spec in (*SERVICES, GATEWAY):
            process = self.processes.get(spec.name)
            if process is None:
                continue
            state = self._restarts.setdefault(spec.name, _Restart())
            if state.due is None and process.poll() is not None:
                if now - self._started_at.get(spec.name, now) >= STABLE_SECONDS:
                    state.count = 0
                delay = RESTART_DELAYS[min(state.count, len(RESTART_DELAYS) - 1)]
                state.count += 1
                state.due = now + delay
                log(f"{spec.name} exited with code {process.returncode}; restarting in "
                    f"{delay:.0f}s (restart {state.count})")  # fmt: skip
            elif state.due is not None and now >= state.due:
                state.due = None
                self.start(spec)
                log(f"{spec.name} restarted (pid {self.processes[spec.name].pid})")

    def wait_healthy(
        self, timeout: float = 180.0, should_stop: Callable[[], bool] = lambda: False
    ) -> dict:
        """Poll the gateway's /health until every component is green."""
        deadline = time.monotonic() + timeout
        last: dict | str = "no answer"
        while time.monotonic() < deadline:
            if should_stop():
                raise StopRequested
            for name, process in self.processes.items():
                if process.poll() is not None:
                    raise RuntimeError(f"{name} exited with code {process.returncode}")
            try:
                response = httpx.get(self.gateway_url + "/health", timeout=5)
                last = response.json()
                if response.status_code == 200:
                    return last
            except (httpx.HTTPError, ValueError) as exc:
                last = str(exc)
            time.sleep(0.5)
        raise TimeoutError(f"stack not healthy after {timeout:.0f}s: {last}")


def _signal_group(process: subprocess.Popen[bytes], signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):  # already gone
        os.killpg(process.pid, signum)


def _prefix(name: str, process: subprocess.Popen[bytes]) -> None:
    assert process.stdout is not None
    label = f"{name:>8} | ".encode()
    for line in iter(process.stdout.readline, b""):
        sys.stdout.buffer.write(label + line)
        sys.stdout.buffer.flush()


class StopSignals:
    """Ctrl-C, SIGTERM and SIGHUP request a stop; `wait()` sleeps until one arrives.

    The handler only sets a flag: it can run again while the main thread is anywhere,
    including inside itself (`uv run` forwards a SIGTERM on top of the process group's),
    so it must take no lock. Python's wakeup fd makes `wait()` return at once.
    """

    def __init__(self) -> None:
        self.requested = False
        self._read, write = os.pipe()
        os.set_blocking(self._read, False)
        os.set_blocking(write, False)
        signal.set_wakeup_fd(write)
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, self._handle)

    def _handle(self, _signum: int, _frame: object) -> None:
        self.requested = True

    def wait(self, timeout: float) -> bool:
        """Sleep up to `timeout` seconds; True once a stop was requested."""
        if not self.requested:
            select.select([self._read], [], [], timeout)
            with contextlib.suppress(BlockingIOError):
                while os.read(self._read, 512):
                    pass
        return self.requested


def up() -> int:
    """Run the stack in the foreground until Ctrl-C, SIGTERM or SIGHUP."""
    signals = StopSignals()
    env = stack_environment(dict(os.environ))
    try:
        migrate(env)
        create_admin(env)
    except subprocess.CalledProcessError:
        if signals.requested:  # the signal reached the migration too
            return 0
        raise
    if signals.requested:
        return 0
    stack = Stack(env)
    stack.start_all()
    try:
        stack.wait_healthy(should_stop=lambda: signals.requested)
        url = stack.gateway_url
        print(f"\nStack is up.\n  API:     {url}\n  Docs:    {url}/docs\n"
              f"  Web UI:  {url}/ui/\n  Health:  {url}/health\nCtrl-C stops it.\n", flush=True)  # fmt: skip
        while not signals.wait(0.5):
            stack.supervise(lambda line: print(line, flush=True))
        print("stopping", flush=True)
    except StopRequested:
        print("stopping", flush=True)
    except (RuntimeError, TimeoutError) as exc:
        print(f"stack failed to start: {exc}", file=sys.stderr, flush=True)
        return 1
    finally:
        stack.stop_all()
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("command", choices=["up", "migrate", "create-admin"])
    args = parser.parse_args()
    if args.command == "up":
        return up()
    env = stack_environment(dict(os.environ))
    if args.command == "migrate":
        migrate(env)
    else:
        create_admin(env)
    return 0


if __name__ == "__main__":
    sys.exit(main())
