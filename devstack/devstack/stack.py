"""The stack's processes: their environment, migrations, first admin, start/stop/restart.

`make up` (`python -m devstack up`), `tests-e2e/`, `bench/` and `make client` boot the same
processes through this module; `isolated_environment()` + `running()` give a throwaway
stack on free ports.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Literal

import httpx
from segshared.dbroles import SERVICE_ROLES, ensure_roles, passwords_from, role_url
from segshared.process import die_with_parent
from segshared.serve import granian_command, uvicorn_command
from segshared.settings import ServiceSettings
from segshared.testing import free_port

ROOT = Path(__file__).resolve().parents[2]

ServiceName = Literal["auth", "profile", "ml", "gateway"]


@dataclass(frozen=True)
class ServiceSpec:
    """One process of the stack."""

    name: ServiceName
    directory: str
    package: str
    port_var: str
    default_port: int


SERVICES = (
    ServiceSpec("auth", "auth-service", "auth_service", "AUTH_SERVICE_PORT", 8001),
    ServiceSpec("profile", "profile-service", "profile_service", "PROFILE_SERVICE_PORT", 8002),
    ServiceSpec("ml", "ml-service", "ml_service", "ML_SERVICE_PORT", 8003),
)
GATEWAY = ServiceSpec("gateway", "gateway", "gateway", "GATEWAY_PORT", 8000)
PROCESSES = (*SERVICES, GATEWAY)
SPECS: dict[str, ServiceSpec] = {spec.name: spec for spec in PROCESSES}


def stack_environment(base: Mapping[str, str]) -> dict[str, str]:
    """Fill in every variable the processes share: ports, URLs, the service credential."""
    env = dict(base)
    host = env.setdefault("STACK_HOST", "127.0.0.1")
    for spec in PROCESSES:
        env.setdefault(spec.port_var, str(spec.default_port))
    for spec in SERVICES:
        env.setdefault(f"{spec.name.upper()}_SERVICE_URL", f"http://{host}:{env[spec.port_var]}")
    env.setdefault("JWKS_URL", env["AUTH_SERVICE_URL"] + "/auth/.well-known/jwks.json")
    env.setdefault("GATEWAY_HOST", host)
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


def isolated_environment(overrides: Mapping[str, str]) -> dict[str, str]:
    """This process's environment without its ports and service URLs, plus `overrides`,
    every process on a free port: a stack that can run next to another."""
    base = {k: v for k, v in os.environ.items() if not k.endswith(("_PORT", "_SERVICE_URL"))}
    base.update(overrides)
    for spec in PROCESSES:
        base[spec.port_var] = str(free_port())
    return stack_environment(base)


def migrate(env: Mapping[str, str]) -> None:
    """Give each service its database role and schema (as DATABASE_URL's user), then apply
    its migrations as that role."""
    for line in asyncio.run(ensure_roles(env["DATABASE_URL"], passwords_from(env))):
        print(f"database role {line}", flush=True)
    for spec in SERVICES:
        alembic_ini = str(ROOT / spec.directory / "alembic.ini")
        subprocess.run(
            [sys.executable, "-m", "alembic", "-c", alembic_ini, "upgrade", "head"],
            env=env,
            check=True,
            cwd=ROOT / spec.directory,
        )


def create_admin(env: Mapping[str, str]) -> None:
    """Create the first admin from ADMIN_USERNAME/ADMIN_PASSWORD (or generate a password)
    unless an admin exists; the command says what it did."""
    subprocess.run(
        [sys.executable, "-m", "auth_service.cli", "create-admin"], env=env, check=True, cwd=ROOT
    )


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
    """The running processes, by name; stop_all() ends them all (SIGTERM, then SIGKILL).

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

    def pid(self, name: str) -> int:
        """The pid of a running process (`auth`, `profile`, `ml`, `gateway`, `ml-replica`)."""
        return self.processes[name].pid

    def command(self, spec: ServiceSpec, port: str) -> list[str]:
        """The process's argv (flags from segshared.serve, the images' too)."""
        if spec is GATEWAY:
            if self.env.get("GATEWAY_SERVER", "uvicorn") == "granian":
                return granian_command(spec.package, self.env["GATEWAY_HOST"], port)
            return uvicorn_command(spec.package, self.env["GATEWAY_HOST"], port)
        return uvicorn_command(spec.package, self.env["STACK_HOST"], port)

    def process_env(self, spec: ServiceSpec) -> dict[str, str]:
        """The services believe X-Forwarded-For from the gateway only, which reaches them
        over loopback here; the gateway keeps the configured TRUSTED_PROXIES (none by
        default: its peer is the client)."""
        if spec is GATEWAY:
            return self.env
        return {**self.env, "TRUSTED_PROXIES": "127.0.0.1/32,::1/128"}

    def start(self, name: ServiceName) -> None:
        """Start one process on its configured port."""
        spec = SPECS[name]
        self._spawn(name, spec, self.env[spec.port_var])

    def _spawn(self, label: str, spec: ServiceSpec, port: str) -> None:
        """Start `spec` on `port` as `label`, its output prefixed with the label (or written
        to log_dir/<label>.log)."""
        out: int | IO[bytes]
        if self.log_dir is not None:
            self.log_dir.mkdir(parents=True, exist_ok=True)
            out = (self.log_dir / f"{label}.log").open("ab")
        else:
            out = subprocess.PIPE
        process = subprocess.Popen(
            self.command(spec, port),
            env={**self.process_env(spec), spec.port_var: port},
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            # Own session: Ctrl-C reaches the runner only, which stops services in order.
            start_new_session=True,
            # The runner dying unannounced (SIGKILL, OOM) stops the service too (SIGTERM:
            # its graceful shutdown is bounded).
            preexec_fn=die_with_parent,
        )
        self.processes[label] = process
        self._started_at[label] = time.monotonic()
        if out is subprocess.PIPE:
            thread = threading.Thread(target=_prefix, args=(label, process), daemon=True)
            thread.start()
            self._threads.append(thread)

    def start_all(self) -> None:
        """Start the services, then the gateway."""
        for spec in PROCESSES:
            self.start(spec.name)

    def stop(self, name: str, timeout: float = 10.0) -> None:
        """Stop one process gracefully (SIGTERM), killing it after `timeout`."""
        self._stop_together([name], timeout)

    def kill(self, name: ServiceName) -> None:
        """SIGKILL one process, not its children (a crash, for fault tests), and reap it; it
        is not restarted."""
        process = self.processes.pop(name)
        self._restarts.pop(name, None)
        with contextlib.suppress(ProcessLookupError):
            os.kill(process.pid, signal.SIGKILL)
        process.wait(10)

    def restart(self, name: ServiceName, timeout: float = 10.0) -> None:
        """Stop one process (if it runs) and start it again."""
        self.stop(name, timeout)
        self.start(name)

    def start_replica(self, name: ServiceName, timeout: float = 120.0) -> str:
        """A second process of service `name` on a free port (same database, Redis and
        volumes), tracked as `<name>-replica`; its URL once /ready answers 200."""
        port = str(free_port())
        label = f"{name}-replica"
        self._spawn(label, SPECS[name], port)
        url = f"http://{self.env['STACK_HOST']}:{port}"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.processes[label].poll() is None:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(url + "/ready", timeout=1).status_code == 200:
                    return url
            time.sleep(0.2)
        self.stop(label)
        raise RuntimeError(f"{label} not ready within {timeout:.0f}s{self._log_tail(label)}")

    def _log_tail(self, label: str) -> str:
        """The end of a process's log file, if it writes one."""
        if self.log_dir is None:
            return ""
        log = self.log_dir / f"{label}.log"
        return f":\n{log.read_text(errors='replace')[-2000:]}" if log.exists() else ""

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
        """Stop the gateway first (no new requests), then every other process at once; each
        step kills what is left after `timeout` (a service's own shutdown is ~5 s at most)."""
        self._stop_together([GATEWAY.name], timeout / 2)
        self._stop_together(list(self.processes), timeout)

    def supervise(self, log: Callable[[str], None] = print) -> None:
        """Restart processes that exited on their own, with backoff; say so in `log`."""
        now = time.monotonic()
        for spec in PROCESSES:
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
                log(
                    f"{spec.name} exited with code {process.returncode}; restarting in "
                    f"{delay:.0f}s (restart {state.count})"
                )
            elif state.due is not None and now >= state.due:
                state.due = None
                self.start(spec.name)
                log(f"{spec.name} restarted (pid {self.pid(spec.name)})")

    def wait_healthy(
        self, timeout: float = 180.0, should_stop: Callable[[], bool] = lambda: False
    ) -> dict[str, Any]:
        """Poll the gateway's /health until every component is green; its body."""
        deadline = time.monotonic() + timeout
        last: object = "no answer"
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
                    return dict(response.json())
            except (httpx.HTTPError, ValueError) as exc:
                last = str(exc)
            time.sleep(0.5)
        raise TimeoutError(f"stack not healthy after {timeout:.0f}s: {last}")


@contextlib.contextmanager
def running(
    env: dict[str, str], log_dir: Path, *, admin: bool = True, timeout: float = 240.0
) -> Iterator[Stack]:
    """Migrate, create the first admin (unless `admin` is false), start every process and
    wait until healthy; stop everything on exit. On a failure, the logs' tails go to stderr."""
    migrate(env)
    if admin:
        create_admin(env)
    stack = Stack(env, log_dir=log_dir)
    stack.start_all()
    try:
        stack.wait_healthy(timeout=timeout)
        yield stack
    except BaseException:
        for log in sorted(log_dir.glob("*.log")):
            sys.stderr.write(f"--- {log.name} (tail)\n{log.read_text(errors='replace')[-4000:]}\n")
        raise
    finally:
        stack.stop_all()


def _signal_group(process: subprocess.Popen[bytes], signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):  # already gone
        os.killpg(process.pid, signum)


def _prefix(name: str, process: subprocess.Popen[bytes]) -> None:
    assert process.stdout is not None
    label = f"{name:>8} | ".encode()
    for line in iter(process.stdout.readline, b""):
        sys.stdout.buffer.write(label + line)
        sys.stdout.buffer.flush()
