"""`make bench`: measured speed of the platform, each figure next to a baseline from the same run.

Starts its own stack (fresh `seg_bench` database, free ports) unless BASE_URL points at a
running one, drives load from a separate process (wrk), prints a table and writes the
same figures to bench/results/latest.json, after comparing them with the previous run's
file (kept per machine, not committed): any ratio that fell by more than 10 % is flagged.
Loopback only; every phase is time-bounded.

QUICK=1 runs a short subset (CI runs it): it asserts no timing, and fails only when a
scenario raises or answers errors. Its figures go to bench/results/quick.json.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pandas as pd
import redis
from devstack.history_load import load as load_history
from segshared.testing import (
    database_url_for_tests,
    free_port,
    recreate_database,
    redis_url_for_tests,
)

from devstack import Stack, isolated_environment, running

ROOT = Path(__file__).resolve().parents[1]
LUA = ROOT / "bench" / "wrk" / "request.lua"
QUICK = os.environ.get("QUICK", "") not in ("", "0")
RESULTS = ROOT / "bench" / "results" / ("quick.json" if QUICK else "latest.json")
DURATION = int(os.environ.get("BENCH_SECONDS", "3" if QUICK else "10"))
# A ratio that falls by more than this against the previous run is flagged.
REGRESSION = 0.10
# QUICK: the scenarios CI runs (about 30 s of load once the stack is up).
QUICK_SCENARIOS = ("predict", "predict_apikey", "batch", "login_rate")
CUSTOMER = {
    "sex": "Female",
    "age": 34,
    "annual_income": 71.5,
    "spending_score": 64,
    "purchase_frequency": 22,
}
FEATURES = ["age", "annual_income", "spending_score", "purchase_frequency"]
IN_PROCESS = {"train", "compare", "train_gmm"}  # engine scenarios: no stack, no wrk


@dataclass
class Row:
    """One line of the results table."""

    scenario: str
    rate: float
    unit: str
    baseline: str
    p50_ms: float | None = None
    p99_ms: float | None = None
    errors: int = 0
    baseline_rate: float | None = None
    notes: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ratio(self) -> float | None:
        return self.rate / self.baseline_rate if self.baseline_rate else None


def wrk(
    url: str,
    method: str,
    body: str | None,
    headers: dict[str, str],
    connections: int,
    seconds: int = DURATION,
    statuses: bool = False,
) -> dict[str, Any]:
    """Run wrk against one URL; returns its JSON summary line (with a count per status
    code when `statuses`)."""
    env = {
        **os.environ,
        "WRK_METHOD": method,
        "WRK_BODY": body or "",
        "WRK_HEADERS": "|".join(f"{k}: {v}" for k, v in headers.items()),
        "WRK_STATUS": "1" if statuses else "0",
    }
    # One wrk thread drives 32 connections easily; wrk shares the machine with the stack,
    # so a second thread would take CPU from it and show up as server latency.
    threads = 1
    out = subprocess.run(
        [
            "wrk",
            "-t",
            str(threads),
            "-c",
            str(connections),
            "-d",
            f"{seconds}s",
            "--timeout",
            "5s",
            "-s",
            str(LUA),
            url,
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=seconds + 30,
        check=True,
    )
    line = next(x for x in out.stdout.splitlines() if x.startswith("{"))
    result = json.loads(line)
    result["rate"] = result["requests"] / result["seconds"]
    return result


def cpu_seconds(pid: int) -> float:
    """User + system CPU time used so far by a process and its live descendants (granian
    serves from a worker process), from /proc/<pid>/stat."""
    stats = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except (FileNotFoundError, ProcessLookupError):
                continue
            stats[int(entry.name)] = (int(fields[1]), int(fields[11]) + int(fields[12]))
    tree, ticks = {pid}, 0
    for _ in range(4):  # a few generations deep is plenty
        tree |= {p for p, (parent, _) in stats.items() if parent in tree}
    ticks = sum(stats[p][1] for p in tree if p in stats)
    return ticks / os.sysconf("SC_CLK_TCK")


def _pg_dsn(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def _copy_rate(url: str, user_id: int) -> float:
    """Rows/s of COPY of the export's columns for one user, straight from PostgreSQL."""
    import asyncpg

    conn = await asyncpg.connect(_pg_dsn(url))
    try:
        sink = bytearray()

        async def collect(chunk: bytes) -> None:
            sink.extend(chunk)

        started = time.perf_counter()
        query = (
            "SELECT id, created_at, cluster, cluster_name, confidence, model_version, profile_id,"
            " customer_data->>'sex', customer_data->>'age', customer_data->>'annual_income',"
            " customer_data->>'spending_score', customer_data->>'purchase_frequency',"
            " customer_data->>'batch_size' FROM profiles.prediction_history WHERE user_id = $1"
            " ORDER BY created_at DESC, id DESC"
        )
        await conn.copy_from_query(query, user_id, output=collect, format="csv")
        elapsed = time.perf_counter() - started
        return sink.count(b"\n") / elapsed
    finally:
        await conn.close()


async def _count_rows(url: str, user_id: int) -> int:
    import asyncpg

    conn = await asyncpg.connect(_pg_dsn(url))
    try:
        return int(
            await conn.fetchval(
                "SELECT count(*) FROM profiles.prediction_history WHERE user_id = $1", user_id
            )
        )
    finally:
        await conn.close()


def _wait_until_consumed(client: redis.Redis, stream: str, group: str, timeout: float) -> None:
    """Until `group` has read and acked every entry of `stream` (the consumer acks after
    its commit). Polled in Redis: a count(*) of the stored rows every 50 ms took a good
    part of PostgreSQL from the consumer it was measuring."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        last: Any = client.xinfo_stream(stream)["last-generated-id"]
        groups: Any = client.xinfo_groups(stream)
        state = next(g for g in groups if g["name"] in (group, group.encode()))
        if not state["pending"] and state["last-delivered-id"] == last:
            return
        time.sleep(0.02)


@dataclass
class _GatewayOn(Stack):
    """A stack whose processes run on another interpreter (another checkout's venv)."""

    python: str = sys.executable

    def command(self, spec: Any, port: str) -> list[str]:
        return [self.python, *super().command(spec, port)[1:]]


class Bench:
    """Owns the stack (or a BASE_URL) and the credentials the scenarios use."""

    def __init__(self) -> None:
        self.stack: Stack | None = None
        self._teardown = contextlib.ExitStack()
        self.workdir = Path(tempfile.mkdtemp(prefix="seg-bench-"))
        self.base_url = os.environ.get("BASE_URL", "").rstrip("/")
        self.ml_url: str | None = None
        self.replica_url: str | None = None
        self.env: dict[str, str] = {}
        self.rows: list[Row] = []

    # --- stack -------------------------------------------------------------------------
    def start(self) -> None:
        if self.base_url:
            self.admin = {
                "username": os.environ["ADMIN_USERNAME"],
                "password": os.environ["ADMIN_PASSWORD"],
            }
            return
        # SEG_TEST_SUFFIX / SEG_TEST_REDIS_PORT keep parallel checkouts' runs apart.
        database = database_url_for_tests("bench")
        redis_url = redis_url_for_tests(14)
        recreate_database(database)
        redis.Redis.from_url(redis_url).flushdb()
        self.admin = {"username": "bench_admin", "password": "Bench-1" + secrets.token_urlsafe(10)}
        self.env = isolated_environment(
            {
                "ENVIRONMENT": "test",
                "DATABASE_URL": database,
                "REDIS_URL": redis_url,
                "MODEL_DIR": str(self.workdir / "models"),
                "AUTH_KEY_DIR": str(self.workdir / "keys"),
                "ADMIN_USERNAME": self.admin["username"],
                "ADMIN_PASSWORD": self.admin["password"],
                "LOG_LEVEL": "WARNING",
                "RATE_LIMIT_USER_PER_MINUTE": "100000000",
                "RATE_LIMIT_IP_PER_MINUTE": "100000000",
                "LOGIN_RATE_LIMIT": "100000000",
                "FAILED_LOGIN_RATE_LIMIT": "100000000",
                "REGISTER_RATE_LIMIT": "100000000",
            }
        )
        self.stack = self._teardown.enter_context(
            running(self.env, self.workdir / "logs", timeout=300)
        )
        self.base_url = self.stack.gateway_url
        self.ml_url = self.env["ML_SERVICE_URL"]

    def stop(self) -> None:
        self._teardown.close()
        shutil.rmtree(self.workdir, ignore_errors=True)

    # --- credentials -------------------------------------------------------------------
    def login(self, username: str, password: str) -> str:
        response = httpx.post(
            self.base_url + "/auth/login",
            json={"username": username, "password": password},
            timeout=30,
        )
        response.raise_for_status()
        return response.json()["access_token"]

    def prepare_users(self) -> None:
        suffix = secrets.token_hex(3)
        self.password = "Bench-pass-1"
        self.username = f"bench_{suffix}"
        created = httpx.post(
            self.base_url + "/auth/register",
            json={
                "email": f"{self.username}@example.com",
                "username": self.username,
                "password": self.password,
            },
            timeout=30,
        )
        created.raise_for_status()
        self.user_id = int(created.json()["id"])
        admin_token = self.login(**self.admin)
        self.admin_headers = {"Authorization": f"Bearer {admin_token}"}
        httpx.put(
            f"{self.base_url}/users/{created.json()['id']}/role",
            json={"role": "analyst"},
            headers=self.admin_headers,
            timeout=30,
        ).raise_for_status()
        self.token = self.login(self.username, self.password)
        self.headers = {"Authorization": f"Bearer {self.token}"}
        key = httpx.post(
            self.base_url + "/auth/api-keys",
            json={"name": "bench"},
            headers=self.headers,
            timeout=30,
        )
        key.raise_for_status()
        self.api_key = key.json()["key"]

    # --- scenarios ---------------------------------------------------------------------
    def predict(self) -> None:
        body = json.dumps(CUSTOMER)
        headers = {**self.headers, "Content-Type": "application/json"}
        for connections in (32, 1):
            cpu_before = self._gateway_cpu()
            gateway = wrk(self.base_url + "/predict", "POST", body, headers, connections)
            if cpu_before is not None:
                cpu = self._gateway_cpu()
                assert cpu is not None
                gateway["gateway_cpu_us"] = (cpu - cpu_before) / gateway["requests"] * 1e6
            direct = (
                wrk(self.ml_url + "/predict", "POST", body, headers, connections)
                if self.ml_url
                else None
            )
            notes = ""
            if "gateway_cpu_us" in gateway:
                notes = f"gateway CPU {gateway['gateway_cpu_us']:.0f} µs/request"
            if direct and connections == 1:
                overhead = gateway["p50_ms"] - direct["p50_ms"]
                notes += f"; gateway p50 overhead {overhead:.2f} ms"
            self.rows.append(
                Row(
                    scenario=f"predict c={connections}",
                    rate=gateway["rate"],
                    unit="req/s",
                    p50_ms=gateway["p50_ms"],
                    p99_ms=gateway["p99_ms"],
                    errors=gateway["errors"],
                    baseline="same request straight to ml-service",
                    baseline_rate=direct["rate"] if direct else None,
                    notes=notes,
                    extra={"gateway": gateway, "direct": direct},
                )
            )

    def overload(self) -> None:
        """Predict far beyond capacity: every answer a 200 or a deliberate 503, no resets."""
        body = json.dumps(CUSTOMER)
        headers = {**self.headers, "Content-Type": "application/json"}
        base = wrk(self.base_url + "/predict", "POST", body, headers, 32, statuses=True)
        base_ok = base["statuses"].get("200", 0) / base["seconds"]
        for connections in (256, 1024):
            result = wrk(
                self.base_url + "/predict", "POST", body, headers, connections, statuses=True
            )
            counts = result["statuses"]
            ok = counts.get("200", 0) / result["seconds"]
            resets = result["connect"] + result["read"] + result["write"]
            failures = sum(n for code, n in counts.items() if code >= "500" and code != "503")
            self.rows.append(
                Row(
                    scenario=f"overload c={connections}",
                    rate=ok,
                    unit="200/s",
                    p50_ms=result["p50_ms"],
                    p99_ms=result["p99_ms"],
                    errors=resets + failures + result["timeout"],
                    baseline="200s/s at c=32 (same run)",
                    baseline_rate=base_ok,
                    notes=f"statuses {dict(sorted(counts.items()))}; resets {resets}; "
                    f"timeouts {result['timeout']}; 5xx other than 503: {failures}",
                    extra={"result": result, "baseline": base},
                )
            )

    def gateway_servers(self) -> None:
        """Predict c=32 through the stack's gateway and a second one on the other ASGI
        server (same services), alternating: requests/s and gateway CPU µs per request.
        BENCH_BASELINE_SRC (a checkout, e.g. `git worktree add /tmp/base main`) adds a third
        gateway on uvicorn running that checkout's gateway/ and shared/ code: the before."""
        if self.stack is None:
            return
        current = self.env.get("GATEWAY_SERVER", "uvicorn")
        other = "uvicorn" if current == "granian" else "granian"
        extra = {other: {"GATEWAY_SERVER": other}}
        pythons = {other: sys.executable}
        if baseline := os.environ.get("BENCH_BASELINE_SRC"):
            src = Path(baseline)
            # The before runs on its own locked dependencies (this checkout may have dropped
            # some it imports).
            subprocess.run(["uv", "sync", "--frozen", "--quiet"], cwd=src, check=True)
            extra["baseline (uvicorn)"] = {
                "GATEWAY_SERVER": "uvicorn",
                "PYTHONPATH": f"{src / 'gateway'}:{src / 'shared'}",
            }
            pythons["baseline (uvicorn)"] = str(src / ".venv" / "bin" / "python")
        targets: dict[str, Stack] = {current: self.stack}
        try:
            for name, overrides in extra.items():
                targets[name] = _GatewayOn(
                    {**self.env, **overrides, "GATEWAY_PORT": str(free_port())},
                    log_dir=self.workdir / f"logs-{len(targets)}",
                    python=pythons[name],
                )
                targets[name].start("gateway")
                targets[name].wait_healthy(timeout=180)
            body = json.dumps(CUSTOMER)
            headers = {**self.headers, "Content-Type": "application/json"}
            totals = {name: [0.0, 0.0, 0.0] for name in targets}  # requests, seconds, cpu
            for _ in range(3):
                for name, target in targets.items():
                    pid = target.pid("gateway")
                    before = cpu_seconds(pid)
                    result = wrk(
                        target.gateway_url + "/predict",
                        "POST",
                        body,
                        headers,
                        32,
                        seconds=max(3, DURATION // 2),
                    )
                    totals[name][0] += result["requests"]
                    totals[name][1] += result["seconds"]
                    totals[name][2] += cpu_seconds(pid) - before
        finally:
            for name, target in targets.items():
                if name != current:
                    target.stop("gateway", 5)
        base = "baseline (uvicorn)" if "baseline (uvicorn)" in totals else "uvicorn"
        base_rate = totals[base][0] / totals[base][1]
        base_cpu = totals[base][2] / totals[base][0] * 1e6
        for name, (requests, seconds, cpu) in totals.items():
            cpu_us = cpu / requests * 1e6
            self.rows.append(
                Row(
                    scenario=f"gateway on {name} c=32",
                    rate=requests / seconds,
                    unit="req/s",
                    baseline=f"gateway {base}, alternating runs",
                    baseline_rate=base_rate,
                    notes=f"gateway CPU {cpu_us:.0f} µs/request "
                    f"({cpu_us / base_cpu:.2f} of {base}'s)",
                    extra={"cpu_us_per_request": cpu_us, "baseline_cpu_us_per_request": base_cpu},
                )
            )

    def history(self) -> None:
        """`/history` at scale: BENCH_HISTORY_ROWS (10M) rows loaded by COPY, 50k of them the
        bench user's; page/filter/total latency, export rate, consumer rate."""
        if self.stack is None:
            return
        rows = int(os.environ.get("BENCH_HISTORY_ROWS", "10000000"))
        database = self.env["DATABASE_URL"]
        load_rate = asyncio.run(load_history(database, rows, self.user_id, 50_000, 20_000))
        self.rows.append(
            Row(
                scenario=f"history load {rows:,} rows (COPY)",
                rate=load_rate,
                unit="rows/s",
                baseline="indexes built after the load, included",
            )
        )
        for name, query in (
            ("first page + total", "limit=100"),
            ("filtered page + total", "cluster=2&min_confidence=60&limit=100"),
            ("date range + total", "date_from=2000-01-01&date_to=2100-01-01&limit=20&skip=100"),
        ):
            url = f"{self.base_url}/history?{query}"
            # Warm-up: each filter shape's first requests prepare its statement on every
            # pooled connection (the first ones after a start took ~150 ms).
            wrk(url, "GET", None, self.headers, 4, seconds=2)
            result = wrk(url, "GET", None, self.headers, 4)
            self.rows.append(
                Row(
                    scenario=f"history {name} (50k rows)",
                    rate=result["rate"],
                    unit="req/s",
                    p50_ms=result["p50_ms"],
                    p99_ms=result["p99_ms"],
                    errors=result["errors"],
                    baseline="target p99 < 50 ms",
                    notes=f"GET /history?{query}",
                    extra=result,
                )
            )
        # Warm-up: both the export and COPY then read the user's rows from shared buffers
        # (measured first, the export paid the table reads that COPY then found cached).
        asyncio.run(_copy_rate(database, self.user_id))
        # A warm-up export, then the median of three (one export of 50k rows takes ~0.2 s).
        exports = [self._export_rate() for _ in range(4)][1:]
        lines, export_rate = sorted(exports, key=lambda e: e[1])[1]
        copy_rate = asyncio.run(_copy_rate(database, self.user_id))
        self.rows.append(
            Row(
                scenario="history export (50k rows)",
                rate=export_rate,
                unit="rows/s",
                baseline="COPY of the same rows straight from PostgreSQL",
                baseline_rate=copy_rate,
                notes=f"{lines - 1:,} rows; target ≥ 200k rows/s",
            )
        )
        self._consumer_rate()

    def _export_rate(self) -> tuple[int, float]:
        """(lines, rows/s) of one full /history/export."""
        started = time.perf_counter()
        with httpx.stream(
            "GET",
            self.base_url + "/history/export",
            # Like curl: no gzip asked for (COPY's baseline is plain CSV too).
            headers={**self.headers, "Accept-Encoding": "identity"},
            timeout=300,
        ) as response:
            response.raise_for_status()
            lines = sum(chunk.count(b"\n") for chunk in response.iter_bytes())
        return lines, (lines - 1) / (time.perf_counter() - started)

    def _consumer_rate(self, events: int = 200_000) -> None:
        from segshared.contracts.events import HISTORY_STREAM

        client = redis.Redis.from_url(self.env["REDIS_URL"])
        user = 900_000_000 + secrets.randbelow(1_000_000)
        customer = json.dumps(CUSTOMER)
        now = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime())
        started = time.perf_counter()
        for start in range(0, events, 5_000):
            pipe = client.pipeline(transaction=False)
            for n in range(start, min(events, start + 5_000)):
                pipe.xadd(
                    HISTORY_STREAM,
                    {
                        "event_id": f"bench-{user}-{n}",
                        "user_id": str(user),
                        "profile_id": "",
                        "customer_data": customer,
                        "cluster": "1",
                        "cluster_name": "Bench",
                        "confidence": "75.5",
                        "model_version": "bench",
                        "created_at": now,
                    },
                )
            pipe.execute()
        published = time.perf_counter() - started
        _wait_until_consumed(client, HISTORY_STREAM, "profile-service", 120)
        stored = asyncio.run(_count_rows(self.env["DATABASE_URL"], user))
        elapsed = time.perf_counter() - started
        self.rows.append(
            Row(
                scenario="history consumer",
                rate=stored / elapsed,
                unit="events/s",
                errors=events - stored,
                baseline="XADD rate of the publisher (same run)",
                baseline_rate=events / published,
                notes=f"{stored:,} of {events:,} events stored; target ≥ 20k events/s",
            )
        )

    def _gateway_cpu(self) -> float | None:
        return cpu_seconds(self.stack.pid("gateway")) if self.stack else None

    def predict_apikey(self) -> None:
        body = json.dumps(CUSTOMER)
        headers = {"X-API-Key": self.api_key, "Content-Type": "application/json"}
        result = wrk(self.base_url + "/predict", "POST", body, headers, 32)
        bearer = next((r for r in self.rows if r.scenario == "predict c=32"), None)
        self.rows.append(
            Row(
                scenario="predict-apikey c=32",
                rate=result["rate"],
                unit="req/s",
                p50_ms=result["p50_ms"],
                p99_ms=result["p99_ms"],
                errors=result["errors"],
                baseline="predict with a bearer token (c=32)",
                baseline_rate=bearer.rate if bearer else None,
                extra=result,
            )
        )

    def _ml_pid(self) -> int | None:
        if self.stack is None:
            return None
        return self.stack.pid("ml")

    @staticmethod
    def _peak_rss_mb(pid: int | None) -> float | None:
        if pid is None:
            return None
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return None

    def _batch_files(self, sizes: tuple[int, ...]) -> dict[int, Path]:
        """Customer CSVs of each size, cut from (or repeating) one generated 1M-row file."""
        from ml_service.engine.generator import generate_customers

        base_rows = min(max(sizes), 1_000_000)
        base = self.workdir / f"batch-{base_rows}.csv"
        generate_customers(base_rows, seed=11).drop(columns=["customer_id"]).to_csv(
            base, index=False
        )
        header, *lines = base.read_bytes().splitlines(keepends=True)
        body = b"".join(lines)
        files = {}
        for rows in sizes:
            path = self.workdir / f"batch-{rows}.csv"
            if rows != base_rows:
                with path.open("wb") as out:
                    out.write(header)
                    if rows < base_rows:
                        out.write(b"".join(lines[:rows]))
                    for _ in range(rows // base_rows):
                        out.write(body)
            files[rows] = path
        return files

    def _batch_once(self, path: Path, rows: int) -> tuple[float, float | None, float | None]:
        """rows/s of one CSV→CSV batch through the gateway, and ml-service's and the
        gateway's peak RSS after it (the gateway streams both ways: flat too)."""
        started = time.perf_counter()
        with (
            path.open("rb") as handle,
            httpx.stream(
                "POST",
                self.base_url + "/predict/batch",
                files={"file": ("batch.csv", handle, "text/csv")},
                # Like curl: no gzip asked for (the in-process baselines write plain CSV too).
                headers={**self.headers, "Accept": "text/csv", "Accept-Encoding": "identity"},
                timeout=1800,
            ) as response,
        ):
            response.raise_for_status()
            lines = sum(chunk.count(b"\n") for chunk in response.iter_bytes())
        elapsed = time.perf_counter() - started
        assert lines == rows + 1, f"expected {rows + 1} lines, got {lines}"
        gateway = self.stack.pid("gateway") if self.stack else None
        return rows / elapsed, self._peak_rss_mb(self._ml_pid()), self._peak_rss_mb(gateway)

    @staticmethod
    def _in_process(path: Path, rows: int, scaler: Any, kmeans: Any) -> tuple[float, float]:
        """pandas + scikit-learn in this process: (read+predict, read+predict+write) rows/s."""
        started = time.perf_counter()
        frame = pd.read_csv(path)
        labels = kmeans.predict(scaler.transform(frame[FEATURES].to_numpy(float)))
        predicted = time.perf_counter() - started
        frame["cluster"] = labels
        frame.to_csv(path.with_suffix(".out.csv"), index=False)
        written = time.perf_counter() - started
        path.with_suffix(".out.csv").unlink()
        return rows / predicted, rows / written

    def batch(self) -> None:
        from ml_service.engine.generator import generate_customers
        from sklearn.cluster import KMeans
        from sklearn.preprocessing import StandardScaler

        sizes = (100_000,) if QUICK else (100_000, 1_000_000, 10_000_000)
        files = self._batch_files(sizes)
        training = generate_customers(5000, seed=42)[FEATURES].to_numpy(float)
        scaler = StandardScaler().fit(training)
        kmeans = KMeans(n_clusters=5, n_init=3, random_state=0).fit(scaler.transform(training))
        for rows in sizes:
            rate, rss, gateway_rss = self._batch_once(files[rows], rows)
            read_predict, read_predict_write = self._in_process(files[rows], rows, scaler, kmeans)
            files[rows].unlink()
            label = f"{rows // 1_000_000}M" if rows >= 1_000_000 else f"{rows // 1000}k"
            rss_note = f"; ml-service peak RSS {rss:.0f} MB" if rss else ""
            if gateway_rss:
                rss_note += f", gateway {gateway_rss:.0f} MB"
            self.rows.append(
                Row(
                    scenario=f"batch {label} CSV→CSV",
                    rate=rate,
                    unit="rows/s",
                    baseline="pandas read + sklearn predict + to_csv in-process",
                    baseline_rate=read_predict_write,
                    notes=f"vs read+predict only: {rate / read_predict:.2f} "
                    f"({read_predict:,.0f} rows/s){rss_note}",
                    extra={
                        "read_predict": read_predict,
                        "read_predict_write": read_predict_write,
                        "peak_rss_mb": rss,
                        "gateway_peak_rss_mb": gateway_rss,
                    },
                )
            )

    def train(self) -> None:
        from ml_service.engine.generator import generate_customers
        from ml_service.engine.training import TrainingParams, train_segments
        from ml_service.settings import MlSettings
        from sklearn.cluster import KMeans
        from sklearn.metrics import silhouette_score
        from sklearn.preprocessing import StandardScaler

        settings = MlSettings()
        params = TrainingParams(
            None,
            2,
            10,
            42,
            settings.silhouette_sample_size,
            settings.minibatch_threshold,
            settings.kmeans_n_init,
        )
        frame = generate_customers(5000, seed=42)
        data, female = frame[FEATURES].to_numpy(float), (frame.sex == "Female").to_numpy()
        started = time.perf_counter()
        ours = train_segments(data, female, params)
        ours_seconds = time.perf_counter() - started
        started = time.perf_counter()
        x = StandardScaler().fit_transform(data)
        scores = {}
        for k in range(2, 11):
            labels = KMeans(n_clusters=k, n_init=10, random_state=42).fit_predict(x)
            scores[k] = silhouette_score(x, labels)
        baseline_seconds = time.perf_counter() - started
        best_k = max(scores, key=scores.__getitem__)
        our_full = silhouette_score(
            x, KMeans(n_clusters=ours.n_clusters, n_init=10, random_state=42).fit_predict(x)
        )
        delta = abs(scores[best_k] - our_full)
        self.rows.append(
            Row(
                scenario="train 5k auto-k",
                rate=1 / ours_seconds,
                unit="runs/s",
                p50_ms=ours_seconds * 1000,
                baseline="KMeans(n_init=10) + full silhouette per k",
                baseline_rate=1 / baseline_seconds,
                notes=f"{ours_seconds:.2f}s vs {baseline_seconds:.2f}s; "
                f"k={ours['n_clusters']} vs {best_k}; silhouette diff {delta:.3f}",
                extra={
                    "seconds": ours_seconds,
                    "baseline_seconds": baseline_seconds,
                    "silhouette_delta": delta,
                },
            )
        )
        big = generate_customers(1_000_000, seed=42)
        started = time.perf_counter()
        result = train_segments(
            big[FEATURES].to_numpy(float), (big.sex == "Female").to_numpy(), params
        )
        seconds = time.perf_counter() - started
        self.rows.append(
            Row(
                scenario="train 1M auto-k",
                rate=1_000_000 / seconds,
                unit="rows/s",
                p50_ms=seconds * 1000,
                baseline="target: under 60 s",
                notes=f"{seconds:.1f}s, k={result.n_clusters}",
                extra={"seconds": seconds},
            )
        )

    def compare(self) -> None:
        from ml_service.engine.compare import CompareParams, compare_models
        from ml_service.engine.generator import generate_customers
        from sklearn.cluster import KMeans
        from sklearn.metrics import silhouette_score
        from sklearn.preprocessing import StandardScaler

        data = generate_customers(5000, seed=42)[FEATURES].to_numpy(float)
        params = CompareParams(k_min=2, k_max=10)
        started = time.perf_counter()
        comparison = compare_models(data, params)
        seconds = time.perf_counter() - started
        # Baseline: what an analyst would run by hand for k-means alone (one fit and a
        # full silhouette per k), against our 3 algorithms x 9 k x (1 + 3 bootstrap) fits.
        started = time.perf_counter()
        x = StandardScaler().fit_transform(data)
        for k in range(2, 11):
            silhouette_score(x, KMeans(n_clusters=k, n_init=10, random_state=42).fit_predict(x))
        baseline_seconds = time.perf_counter() - started
        best = comparison.recommended
        self.rows.append(
            Row(
                scenario="compare 5k (3 alg x 9 k)",
                rate=1 / seconds,
                unit="runs/s",
                p50_ms=seconds * 1000,
                baseline="k-means only: KMeans(n_init=10) + full silhouette per k",
                baseline_rate=1 / baseline_seconds,
                notes=f"{seconds:.1f}s vs {baseline_seconds:.1f}s; "
                f"{len(comparison.candidates)} candidates x 4 fits; recommended "
                f"{best.algorithm} k={best.k}",
                extra={"seconds": seconds, "baseline_seconds": baseline_seconds},
            )
        )

    def train_gmm(self) -> None:
        from ml_service.engine.generator import generate_customers
        from ml_service.engine.training import TrainingParams, train_segments
        from ml_service.settings import MlSettings
        from sklearn.mixture import GaussianMixture
        from sklearn.preprocessing import StandardScaler

        settings = MlSettings()
        params = TrainingParams(
            None,
            2,
            10,
            42,
            settings.silhouette_sample_size,
            settings.minibatch_threshold,
            settings.kmeans_n_init,
            algorithm="gmm",
            gmm_sample_size=settings.gmm_sample_size,
        )
        big = generate_customers(1_000_000, seed=42)
        data, female = big[FEATURES].to_numpy(float), (big.sex == "Female").to_numpy()
        started = time.perf_counter()
        result = train_segments(data, female, params)
        seconds = time.perf_counter() - started
        # Baseline: scikit-learn's GaussianMixture fitted once on all 1M rows at the chosen k.
        started = time.perf_counter()
        GaussianMixture(
            n_components=result.n_clusters, covariance_type="full", random_state=42
        ).fit(StandardScaler().fit_transform(data))
        baseline_seconds = time.perf_counter() - started
        self.rows.append(
            Row(
                scenario="train GMM 1M auto-k",
                rate=1_000_000 / seconds,
                unit="rows/s",
                p50_ms=seconds * 1000,
                baseline="one sklearn GaussianMixture fit on all rows at that k",
                baseline_rate=1_000_000 / baseline_seconds,
                notes=f"{seconds:.1f}s for k=2..10 (+ labels, stats, PCA, bins) vs "
                f"{baseline_seconds:.1f}s for one fit; k={result.n_clusters}",
                extra={"seconds": seconds, "baseline_seconds": baseline_seconds},
            )
        )

    def _served(self, url: str) -> str | None:
        try:
            return httpx.get(url + "/ready", timeout=2).json()["components"]["model"].get("version")
        except (httpx.HTTPError, KeyError, ValueError):
            return None

    def reload(self) -> None:
        if self.stack is None:
            return
        self.replica_url = self.stack.start_replica("ml", timeout=60)
        body = json.dumps(CUSTOMER)
        headers = {**self.headers, "Content-Type": "application/json"}
        load: dict[str, Any] = {}
        thread = threading.Thread(
            target=lambda: load.update(
                wrk(self.base_url + "/predict", "POST", body, headers, 16, seconds=12)
            )
        )
        thread.start()
        time.sleep(2)
        response = httpx.post(
            self.base_url + "/train",
            json={"n_clusters": 4, "k_min": 2, "k_max": 5},
            headers=self.headers,
            timeout=300,
        )
        published = time.perf_counter()
        version = response.json()["model_version"]
        replicas = [self.ml_url, self.replica_url]
        lag = None
        while time.perf_counter() - published < 10:
            if all(self._served(u) == version for u in replicas if u):
                lag = time.perf_counter() - published
                break
            time.sleep(0.01)
        thread.join()
        self.rows.append(
            Row(
                scenario="reload (2 replicas)",
                rate=1 / lag if lag else 0.0,
                unit="swaps/s",
                p50_ms=lag * 1000 if lag else None,
                errors=load.get("errors", -1),
                baseline="target: all replicas < 1 s, 0 failed",
                notes=f"all replicas on {version} {lag * 1000:.0f} ms after publish"
                if lag
                else "replicas did not converge",
                extra={"load": load},
            )
        )

    def login_rate(self) -> None:
        from argon2 import PasswordHasher

        body = json.dumps({"username": self.username, "password": self.password})
        result = wrk(
            self.base_url + "/auth/login",
            "POST",
            body,
            {"Content-Type": "application/json"},
            4,
            seconds=min(5, DURATION),
        )
        hasher = PasswordHasher(time_cost=2, memory_cost=19_456, parallelism=1)
        digest = hasher.hash("x")
        started = time.perf_counter()
        for _ in range(10):
            hasher.verify(digest, "x")
        per_verify = (time.perf_counter() - started) / 10
        self.rows.append(
            Row(
                scenario="login c=4",
                rate=result["rate"],
                unit="req/s",
                p50_ms=result["p50_ms"],
                p99_ms=result["p99_ms"],
                errors=result["errors"],
                baseline="argon2id verifies/s on one core",
                baseline_rate=1 / per_verify,
                notes=f"one argon2id verify = {per_verify * 1000:.1f} ms",
                extra=result,
            )
        )

    # --- report ------------------------------------------------------------------------
    def regressions(self) -> list[str]:
        """Scenarios whose ratio fell by more than REGRESSION since the previous run's file."""
        try:
            previous = json.loads(RESULTS.read_text())["rows"]
        except (OSError, ValueError, KeyError):
            return []
        before = {r["scenario"]: r.get("ratio") for r in previous}
        flagged = []
        for row in self.rows:
            old, new = before.get(row.scenario), row.ratio
            if old and new is not None and new < old * (1 - REGRESSION):
                flagged.append(
                    f"{row.scenario}: ratio {old:.2f} → {new:.2f} ({new / old - 1:+.0%})"
                )
        return flagged

    def report(self) -> None:
        header = f"{'scenario':<22} {'rate':>12} {'unit':<7} {'p50 ms':>8} {'p99 ms':>8} {'errors':>6} {'ratio':>7}  baseline / notes"
        print("\n" + header + "\n" + "-" * len(header))
        for r in self.rows:
            p50 = f"{r.p50_ms:.2f}" if r.p50_ms is not None else "-"
            p99 = f"{r.p99_ms:.2f}" if r.p99_ms is not None else "-"
            ratio = f"{r.ratio:.2f}" if r.ratio is not None else "-"
            print(
                f"{r.scenario:<22} {r.rate:>12,.1f} {r.unit:<7} {p50:>8} {p99:>8} {r.errors:>6} {ratio:>7}  "
                f"{r.baseline}{'; ' + r.notes if r.notes else ''}"
            )
        flagged = self.regressions()
        if flagged:
            print(
                f"\nREGRESSIONS (ratio fell > {REGRESSION:.0%} since the previous {RESULTS.name}):"
            )
            for line in flagged:
                print("  " + line)
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(
            json.dumps(
                {
                    "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                    "machine": {"cores": os.cpu_count()},
                    "quick": QUICK,
                    "rows": [asdict(r) | {"ratio": r.ratio} for r in self.rows],
                },
                indent=2,
                default=float,
            )
        )
        print(f"\nwritten to {RESULTS.relative_to(ROOT)}")


def main() -> int:
    only = set(filter(None, os.environ.get("BENCH_ONLY", "").split(",")))
    if QUICK and not only:
        only = set(QUICK_SCENARIOS)
    if shutil.which("wrk") is None and (not only or only - IN_PROCESS):
        print("wrk is not installed (apt-get install wrk)", file=sys.stderr)
        return 1
    bench = Bench()
    failed: list[str] = []
    try:
        if not only or only - IN_PROCESS:  # in-process scenarios need no stack
            bench.start()
            bench.prepare_users()
        np.random.seed(0)
        scenarios = (
            "predict",
            "overload",
            "gateway_servers",
            "history",
            "predict_apikey",
            "batch",
            "train",
            "compare",
            "train_gmm",
            "reload",
            "login_rate",
        )
        for name in scenarios:
            if only and name not in only:
                continue
            print(f"== {name}", flush=True)
            try:
                getattr(bench, name)()
            except Exception as exc:  # the other scenarios' figures still count
                traceback.print_exc()
                failed.append(f"{name}: {type(exc).__name__}: {exc}")
        bench.report()
    finally:
        bench.stop()
    if QUICK:  # CI's smoke run: any scenario that answered errors fails it
        failed += [f"{r.scenario}: {r.errors} errors" for r in bench.rows if r.errors]
    for line in failed:
        print("FAILED " + line, file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
