"""Tools of the fault suite: a PostgreSQL and a Redis of its own (restartable), predict load,
and counting what reached history."""

from __future__ import annotations

import csv
import io
import os
import shutil
import signal
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from segshared.testing import free_port

PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))
# "<fault>: N operations, M lost, K duplicated, recovery in S s" per test, for the summary.
SUMMARY: list[str] = []


def wait_until(check: Callable[[], object], seconds: float, what: str, step: float = 0.1) -> float:
    """Poll `check()` until truthy; return the seconds it took."""
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        if check():
            return time.monotonic() - started
        time.sleep(step)
    raise AssertionError(f"{what}: not within {seconds:.0f}s")


class PrivatePostgres:
    """A throwaway PostgreSQL cluster on a free port (never the machine's shared server)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.data = root / "pgdata"
        self.sockets = root / "sockets"
        self.port = free_port()
        self.url = f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/seg_test_faults"
        # initdb and postgres refuse to run as root: use the postgres system user then.
        self._as = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []

    def _run(self, *args: str) -> None:
        subprocess.run([*self._as, *args], check=True, stdout=subprocess.DEVNULL)

    def create(self) -> None:
        self.sockets.mkdir(parents=True)
        if self._as:
            shutil.chown(self.root, "postgres")
            shutil.chown(self.sockets, "postgres")
        self._run(
            str(PG_BIN / "initdb"),
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--no-sync",
        )
        self.start()
        self._run(
            str(PG_BIN / "createdb"),
            "-h",
            "127.0.0.1",
            "-p",
            str(self.port),
            "-U",
            "postgres",
            "seg_test_faults",
        )

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.sockets} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c max_connections=200"
        )
        self._run(
            str(PG_BIN / "pg_ctl"),
            "-D",
            str(self.data),
            "-o",
            options,
            "-w",
            "-l",
            str(self.root / "postgres.log"),
            "start",
        )

    def stop(self, mode: str = "fast") -> None:
        self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")


class PrivateRedis:
    """A Redis on a free port with AOF fsync'd on every write, so a restart loses nothing."""

    def __init__(self, root: Path) -> None:
        self.dir = root
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "yes",
                "--appendfsync",
                "always",
                "--dir",
                str(self.dir),
            ],
            stdout=subprocess.DEVNULL,
        )
        wait_until(self._answers, 10, "private redis up")

    def _answers(self) -> bool:
        result = subprocess.run(
            ["redis-cli", "-p", str(self.port), "ping"], capture_output=True, text=True
        )
        return result.stdout.strip() == "PONG"

    def stop(self) -> None:
        """A clean shutdown (the AOF is complete)."""
        if self.process is not None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(20)
            self.process = None


@dataclass
class Outcome:
    """One predict request of the load."""

    income: float
    status: int  # 0: no HTTP answer at all (see `error`)
    started: float
    seconds: float
    error: str = ""


@dataclass
class PredictLoad:
    """Threads posting /predict, each customer unique by its income, until stopped."""

    base_url: str
    headers: dict[str, str]
    threads: int = 4
    timeout: float = 40.0
    outcomes: list[Outcome] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _next: int = 0
    _workers: list[threading.Thread] = field(default_factory=list)

    def _income(self) -> float:
        with self._lock:
            self._next += 1
            return round(1 + self._next / 1000, 3)

    def _run(self) -> None:
        with httpx.Client(base_url=self.base_url, timeout=self.timeout) as client:
            while not self._stop.is_set():
                income = self._income()
                body = {
                    "sex": "Female",
                    "age": 30,
                    "annual_income": income,
                    "spending_score": 50,
                    "purchase_frequency": 12,
                }
                started = time.monotonic()
                error = ""
                try:
                    status = client.post("/predict", json=body, headers=self.headers).status_code
                except httpx.HTTPError as exc:
                    status, error = 0, f"{type(exc).__name__}: {exc}"
                with self._lock:
                    self.outcomes.append(
                        Outcome(income, status, started, time.monotonic() - started, error)
                    )
                if status != 200:
                    time.sleep(0.02)  # no busy loop against a dead dependency

    def __enter__(self) -> PredictLoad:
        for _ in range(self.threads):
            worker = threading.Thread(target=self._run, daemon=True)
            worker.start()
            self._workers.append(worker)
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        for worker in self._workers:
            worker.join(self.timeout + 5)

    def since(self, moment: float) -> list[Outcome]:
        with self._lock:
            return [o for o in self.outcomes if o.started >= moment]

    def answered(self) -> list[float]:
        """Incomes of the predictions that answered 200 (the ones history must hold)."""
        return [o.income for o in self.outcomes if o.status == 200]

    def statuses(self) -> Counter[int]:
        return Counter(o.status for o in self.outcomes)


def history_incomes(base_url: str, headers: dict[str, str]) -> Counter[float]:
    """How often each income appears in the user's history (the CSV export: every row)."""
    response = httpx.get(base_url + "/history/export", headers=headers, timeout=60)
    response.raise_for_status()
    return Counter(
        float(row["annual_income"]) for row in csv.DictReader(io.StringIO(response.text))
    )


@dataclass
class Tally:
    """What a fault did to the predictions that answered 200."""

    operations: int
    lost: int
    duplicated: int


def tally(answered: list[float], stored: Counter[float]) -> Tally:
    lost = sum(1 for income in answered if stored[income] == 0)
    duplicated = sum(count - 1 for count in stored.values() if count > 1)
    return Tally(len(answered), lost, duplicated)


def converged_history(
    base_url: str, headers: dict[str, str], answered: list[float], seconds: float
) -> tuple[Tally, float]:
    """Wait until history holds every answered prediction; the tally and how long it took."""
    result: list[Tally] = []

    def complete() -> bool:
        result[:] = [tally(answered, history_incomes(base_url, headers))]
        return result[0].lost == 0

    try:
        took = wait_until(complete, seconds, "history complete", step=0.5)
    except AssertionError:
        return result[0], seconds
    return result[0], took


def descendants(pid: int) -> Iterator[int]:
    """Live processes below `pid`."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            children.setdefault(int(stat[stat.rindex(")") + 2 :].split()[1]), []).append(
                int(entry.name)
            )
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            yield child
            todo.append(child)


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""
