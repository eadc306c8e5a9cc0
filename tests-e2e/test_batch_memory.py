"""Batch work in bounded memory: ml-service's peak RSS, read from /proc (a memory
assertion, not a timing one), while big CSVs stream through and a huge JSON body is refused.
"""

from __future__ import annotations

import socket
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from helpers import UserFactory

from devstack import Stack

ROWS = 1_000_000
CLIENTS = 4
MAX_GROWTH_MB = 100


def peak_rss_mb(pid: int) -> float:
    """The process's resident-set high-water mark (VmHWM) in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmHWM in /proc status")


@pytest.fixture(scope="module")
def big_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 1,000,000-row customer CSV (~27 MB), some rows refused."""
    path = tmp_path_factory.mktemp("batch") / "customers.csv"
    block = "".join(
        f"{'Female' if i % 2 else 'Male'},{18 + i % 70},{20 + i % 100}.5,{1 + i % 100},{i % 50}\n"
        for i in range(1000)
    ).replace("Male,18,", "Male,7,", 1)  # one refused row per block
    with path.open("w") as out:
        out.write("sex,age,annual_income,spending_score,purchase_frequency\n")
        for _ in range(ROWS // 1000):
            out.write(block)
    return path


def _score(base_url: str, headers: dict[str, str], path: Path) -> tuple[int, int, int]:
    """(status, lines, refused rows) of one streamed CSV→CSV batch."""
    lines = refused = 0
    with (
        path.open("rb") as handle,
        httpx.stream(
            "POST",
            base_url + "/predict/batch",
            files={"file": ("c.csv", handle, "text/csv")},
            headers={**headers, "Accept": "text/csv", "Accept-Encoding": "identity"},
            timeout=900,
        ) as response,
    ):
        tail = b""
        for chunk in response.iter_bytes():
            data = tail + chunk
            *complete, tail = data.split(b"\n")
            lines += len(complete)
            refused += sum(1 for line in complete if line.endswith(b",,"))
        return response.status_code, lines, refused


def _send_raw(url: str, headers: dict[str, str], size: int, chunked: bool) -> int:
    """POST a `size`-byte JSON body from a raw socket; the status line's code.

    The server may answer (and close) before the body is sent, so the body goes from a
    thread that ignores the broken pipe while this one reads the answer.
    """
    parts = urlsplit(url)
    sock = socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 80))
    head = [
        f"POST {parts.path} HTTP/1.1",
        f"Host: {parts.netloc}",
        "Content-Type: application/json",
        *[f"{k}: {v}" for k, v in headers.items()],
    ]
    head.append("Transfer-Encoding: chunked" if chunked else f"Content-Length: {size}")
    sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode())

    def body() -> None:
        piece = b'{"customers": [' + b" " * (1 << 20)
        try:
            sent = 0
            while sent < size:
                data = piece[: size - sent]
                sock.sendall(b"%x\r\n%s\r\n" % (len(data), data) if chunked else data)
                sent += len(data)
            if chunked:
                sock.sendall(b"0\r\n\r\n")
        except OSError:
            pass  # refused early: the server closed the connection

    sender = threading.Thread(target=body, daemon=True)
    sender.start()
    sock.settimeout(120)
    answer = sock.makefile("rb").readline()
    sock.close()
    sender.join(30)
    return int(answer.split()[1])


def test_ml_memory_stays_flat_under_big_csvs_and_a_huge_json_body(
    stack: Stack, base_url: str, make_user: UserFactory, big_csv: Path
) -> None:
    user = make_user()
    pid = stack.pid("ml")
    # Warm up every code path once (imports, pools, first-block buffers), then measure.
    warm = big_csv.with_name("warm.csv")
    warm.write_text("".join(big_csv.open().readlines()[:50_001]))
    assert _score(base_url, user.headers, warm)[0] == 200
    before = peak_rss_mb(pid)

    with ThreadPoolExecutor(CLIENTS) as pool:
        answers = list(pool.map(lambda _: _score(base_url, user.headers, big_csv), range(CLIENTS)))
    assert answers == [(200, ROWS + 1, ROWS // 1000)] * CLIENTS
    after_csv = peak_rss_mb(pid)
    assert after_csv - before < MAX_GROWTH_MB, (before, after_csv)

    # 200 MB of JSON straight at ml-service (the gateway would refuse it first): 413, unparsed.
    ml_url = stack.env["ML_SERVICE_URL"]
    for chunked in (False, True):
        assert _send_raw(ml_url + "/predict/batch", user.headers, 200 << 20, chunked) == 413
    assert peak_rss_mb(pid) - after_csv < MAX_GROWTH_MB
    # Through the gateway the same body is refused at the edge.
    assert _send_raw(base_url + "/predict/batch", user.headers, 200 << 20, False) == 413


def test_over_wide_or_unterminated_line_is_422(
    gateway: httpx.Client, make_user: UserFactory
) -> None:
    headers = make_user().headers
    good = "sex,age,annual_income,spending_score,purchase_frequency\nMale,30,50,60,12\n"
    for bad in (good + "Male," + "9" * (2 << 20) + ",50,60,12\n", good + '"Female,30,50,60,12\n'):
        response = gateway.post(
            "/predict/batch",
            files={"file": ("c.csv", bad, "text/csv")},
            headers={**headers, "Accept": "text/csv"},
        )
        assert response.status_code == 422, response.text
        assert "not a readable CSV" in response.json()["detail"]
