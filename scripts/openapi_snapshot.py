"""Save the gateway's merged /openapi.json as frontend/openapi.json (the client's input).

With BASE_URL set it reads that running gateway; otherwise it boots the stack on free
ports against a throwaway test database (as tests-e2e does) and stops it afterwards.
`make client` runs this, then generates frontend/src/client/ from the snapshot.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

import httpx
from segshared.testing import database_url_for_tests, recreate_database, redis_url_for_tests

from devstack import isolated_environment, running

ROOT = Path(__file__).resolve().parents[1]
SNAPSHOT = ROOT / "frontend" / "openapi.json"


def write_snapshot(document: dict, path: Path = SNAPSHOT) -> None:
    """Stable formatting, so a regenerated snapshot only differs where the API did."""
    path.write_text(json.dumps(document, indent=2, sort_keys=True) + "\n")


def _boot_and_fetch() -> dict:
    database = database_url_for_tests("openapi")
    recreate_database(database)
    workdir = Path(tempfile.mkdtemp(prefix="seg-openapi-"))
    env = isolated_environment(
        {
            "ENVIRONMENT": "test",
            "DATABASE_URL": database,
            "REDIS_URL": redis_url_for_tests(14),
            "MODEL_DIR": str(workdir / "models"),
            "AUTH_KEY_DIR": str(workdir / "keys"),
            "DEFAULT_DATASET_ROWS": "500",
        }
    )
    with running(env, workdir / "logs", admin=False) as stack:
        return httpx.get(stack.gateway_url + "/openapi.json", timeout=30).json()


def main() -> int:
    base_url = os.environ.get("BASE_URL")
    if base_url:
        document = httpx.get(base_url.rstrip("/") + "/openapi.json", timeout=30).json()
    else:
        document = _boot_and_fetch()
    write_snapshot(document)
    print(f"wrote {SNAPSHOT.relative_to(ROOT)} ({len(document.get('paths', {}))} paths)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
