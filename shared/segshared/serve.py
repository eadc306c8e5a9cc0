"""The one command line that serves a service: `make up` (devstack), the bench and the images.

`python -m segshared.serve` is the images' CMD: it replaces itself with uvicorn serving
$SERVICE (e.g. `auth-service`) on $HOST (0.0.0.0):$PORT; extra arguments go to uvicorn.
"""

from __future__ import annotations

import os
import sys

# uvloop + httptools; no access log (a line per request on the hot path); X-Forwarded-For is
# judged by the app (TRUSTED_PROXIES), not by uvicorn; shutdown bounded at 5 s.
UVICORN_FLAGS = (
    "--loop",
    "uvloop",
    "--http",
    "httptools",
    "--no-access-log",
    "--no-proxy-headers",
    "--timeout-graceful-shutdown",
    "5",
)

# The gateway under granian (GATEWAY_SERVER=granian; HTTP parsing in Rust; since the gateway
# has its own upstream connections it costs more CPU per proxied request than uvicorn: see
# README Performance). One worker, one runtime thread.
GRANIAN_FLAGS = (
    "--interface",
    "asgi",
    "--workers",
    "1",
    "--runtime-threads",
    "1",
    "--loop",
    "uvloop",
    "--no-ws",
    "--log-level",
    "warning",
    "--backlog",
    "4096",
    "--workers-kill-timeout",
    "5",
)


def uvicorn_command(package: str, host: str, port: int | str) -> list[str]:
    """The argv serving `package.main:create_app` under uvicorn."""
    return [
        sys.executable,
        "-m",
        "uvicorn",
        f"{package}.main:create_app",
        "--factory",
        "--host",
        host,
        "--port",
        str(port),
        *UVICORN_FLAGS,
    ]


def granian_command(package: str, host: str, port: int | str) -> list[str]:
    """The argv serving `package.main:create_app` under granian."""
    return [
        sys.executable,
        "-m",
        "granian",
        "--factory",
        f"{package}.main:create_app",
        "--host",
        host,
        "--port",
        str(port),
        *GRANIAN_FLAGS,
    ]


def main() -> None:
    """Exec uvicorn for $SERVICE on $HOST:$PORT (the container's process)."""
    package = os.environ["SERVICE"].replace("-", "_")
    # A container's server must listen on its own interface to be reachable at all; the
    # network policy and the published ports decide who can reach it.
    host = os.environ.get("HOST", "0.0.0.0")  # nosec B104
    command = uvicorn_command(package, host, os.environ["PORT"])
    os.execv(command[0], [*command, *sys.argv[1:]])  # noqa: S606 (argv from the image)


if __name__ == "__main__":
    main()
