"""Local process runner: migrate, create the first admin, run every service and the gateway.

`python scripts/stack.py up` is what `make up` runs; `tests-e2e/` imports `Stack` to boot
the same processes on free ports against a test database.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import httpx
from segshared.dbroles import SERVICE_ROLES, ensure_roles, passwords_from, role_url
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


@dataclass
class Stack:
    """The running processes; stop() ends them all (SIGTERM, then SIGKILL)."""

    env: dict[str, str]
    log_dir: Path | None = None
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    _threads: list[threading.Thread] = field(default_factory=list)

    @property
    def gateway_url(self) -> str:
        return f"http://{self.env['GATEWAY_HOST']}:{self.env['GATEWAY_PORT']}"

    def command(self, spec: ServiceSpec) -> list[str]:
        host = self.env["GATEWAY_HOST"] if spec is GATEWAY else self.env["STACK_HOST"]
        return [
            sys.executable, "-m", "uvicorn", f"{spec.module}.main:create_app", "--factory",
            "--host", host, "--port", self.env[spec.port_var],
            "--loop", "uvloop", "--http", "httptools", "--no-access-log", "--no-proxy-headers",
            "--timeout-graceful-shutdown", "5",
        ]  # fmt: skip

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
            env=self.env,
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.processes[spec.name] = process
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
        process = self.processes.pop(name, None)
        if process is None or process.poll() is not None:
            return
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()

    def stop_all(self) -> None:
        """Stop the gateway first, then the services."""
        for name in [GATEWAY.name, *(s.name for s in SERVICES)]:
            self.stop(name)

    def wait_healthy(self, timeout: float = 180.0) -> dict:
        """Poll the gateway's /health until every component is green."""
        deadline = time.monotonic() + timeout
        last: dict | str = "no answer"
        while time.monotonic() < deadline:
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


def _prefix(name: str, process: subprocess.Popen[bytes]) -> None:
    assert process.stdout is not None
    label = f"{name:>8} | ".encode()
    for line in iter(process.stdout.readline, b""):
        sys.stdout.buffer.write(label + line)
        sys.stdout.buffer.flush()


def up() -> int:
    """Run the stack in the foreground until Ctrl-C or SIGTERM."""
    env = stack_environment(dict(os.environ))
    migrate(env)
    create_admin(env)
    stack = Stack(env)
    stopping = threading.Event()

    def request_stop(_signum: int, _frame: object) -> None:
        stopping.set()

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    stack.start_all()
    try:
        stack.wait_healthy()
        url = stack.gateway_url
        print(f"\nStack is up.\n  API:     {url}\n  Docs:    {url}/docs\n"
              f"  Web UI:  {url}/ui/\n  Health:  {url}/health\nCtrl-C stops it.\n", flush=True)  # fmt: skip
        while not stopping.wait(1.0):
            for name, process in stack.processes.items():
                if process.poll() is not None:
                    print(f"{name} exited with code {process.returncode}; stopping", flush=True)
                    stopping.set()
    except (RuntimeError, TimeoutError) as exc:
        print(f"stack failed to start: {exc}", file=sys.stderr, flush=True)
        stack.stop_all()
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
