"""Save the gateway's merged /openapi.json as frontend/openapi.json (the client's input).

With BASE_URL set it reads that running gateway; otherwise it boots the stack on free
ports against a throwaway test database (as tests-e2e does) and stops it afterwards.
`make client` runs this, then generates frontend/src/client/ from the snapshot.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
import tempfile
from pathlib import Path

import httpx
from segshared.testing import database_url_for_tests, free_port, recreate_database

ROOT = Path(__file__).resolve().parents[1]
SNAPSHOT = ROOT / "frontend" / "openapi.json"


def write_snapshot(document: dict, path: Path = SNAPSHOT) -> None:
    """Stable formatting, so a regenerated snapshot only differs where the API did."""
    path.write_text(json.dumps(document, indent=2, sort_keys=True) + "\n")


def _boot_and_fetch() -> dict:
    spec = importlib.util.spec_from_file_location("stack", ROOT / "scripts" / "stack.py")
    assert spec and spec.loader
    stack_module = importlib.util.module_from_spec(spec)
    sys.modules["stack"] = stack_module
    spec.loader.exec_module(stack_module)

    database = database_url_for_tests("openapi")
    recreate_database(database)
    workdir = Path(tempfile.mkdtemp(prefix="seg-openapi-"))
    env = {k: v for k, v in os.environ.items() if not k.endswith(("_PORT", "_SERVICE_URL"))}
    env.update(
        ENVIRONMENT="test",
        DATABASE_URL=database,
        REDIS_URL=f"redis://127.0.0.1:{os.environ.get('SEG_TEST_REDIS_PORT', '6379')}/14",
        MODEL_DIR=str(workdir / "models"),
        AUTH_KEY_DIR=str(workdir / "keys"),
        DEFAULT_DATASET_ROWS="500",
    )
    for service in (*stack_module.SERVICES, stack_module.GATEWAY):
        env[service.port_var] = str(free_port())
    env = stack_module.stack_environment(env)
    stack_module.migrate(env)
    stack = stack_module.Stack(env, log_dir=workdir / "logs")
    stack.start_all()
    try:
        stack.wait_healthy(timeout=240)
        return httpx.get(stack.gateway_url + "/openapi.json", timeout=30).json()
    finally:
        stack.stop_all()


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
