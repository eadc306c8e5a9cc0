"""`python -m devstack up|migrate|create-admin`: what `make up` and `make migrate` run.

`up` migrates, creates the first admin, runs every service and the gateway, restarts a
service that crashes (with backoff) and stops everything on Ctrl-C, SIGTERM or SIGHUP. If
the runner dies without stopping them (SIGKILL), the kernel sends its services SIGTERM, so
no orphan keeps a port.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import select
import signal
import subprocess
import sys

from devstack.stack import Stack, StopRequested, create_admin, migrate, stack_environment


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
    env = stack_environment(os.environ)
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
        print(
            f"\nStack is up.\n  API:     {url}\n  Docs:    {url}/docs\n"
            f"  Web UI:  {url}/ui/\n  Health:  {url}/health\nCtrl-C stops it.\n",
            flush=True,
        )
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
    parser = argparse.ArgumentParser(prog="python -m devstack", description=__doc__)
    parser.add_argument("command", choices=["up", "migrate", "create-admin"])
    args = parser.parse_args()
    if args.command == "up":
        return up()
    env = stack_environment(os.environ)
    if args.command == "migrate":
        migrate(env)
    else:
        create_admin(env)
    return 0


if __name__ == "__main__":
    sys.exit(main())
