"""The web console: a real browser (Playwright driving Debian's chromium) against the real
stack, and the generated API client kept in step with the gateway's OpenAPI.

`scripts/test.sh` builds the console (frontend/dist) and installs chromium before this runs.
"""

from __future__ import annotations

import filecmp
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[1]
FRONTEND = ROOT / "frontend"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
REGENERATE = "run `make client` (saves the live /openapi.json to frontend/openapi.json and regenerates frontend/src/client/)"


def _npx(
    *args: str, env: dict[str, str] | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["npx", "--no-install", *args],
        cwd=FRONTEND,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def _require_console_tooling() -> None:
    if not (FRONTEND / "node_modules").is_dir():
        pytest.fail(
            "frontend/node_modules is missing: run `npm ci` in frontend/ (scripts/test.sh does)"
        )
    if not (FRONTEND / "dist" / "index.html").is_file():
        pytest.fail(
            "frontend/dist is missing: run `npm run build` in frontend/ (scripts/test.sh does)"
        )
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"{CHROMIUM} is missing: `apt-get install -y chromium` (scripts/install.sh does)"
        )


class TestGeneratedClient:
    def test_openapi_snapshot_matches_the_live_gateway(self, gateway: httpx.Client) -> None:
        live = gateway.get("/openapi.json").json()
        snapshot = json.loads((FRONTEND / "openapi.json").read_text())
        assert live == snapshot, f"frontend/openapi.json is stale: {REGENERATE}"

    def test_generated_client_matches_the_snapshot(self, tmp_path: Path) -> None:
        _require_console_tooling()
        out = tmp_path / "client"
        generated = _npx("openapi-ts", env={"CLIENT_OUT": str(out)})
        assert generated.returncode == 0, generated.stdout + generated.stderr
        comparison = filecmp.dircmp(FRONTEND / "src" / "client", out)
        stale: list[str] = []

        def collect(cmp: filecmp.dircmp[str], prefix: str = "") -> None:
            stale.extend(prefix + name for name in cmp.left_only + cmp.right_only + cmp.diff_files)
            for name, sub in cmp.subdirs.items():
                collect(sub, f"{prefix}{name}/")

        collect(comparison)
        assert not stale, (
            f"frontend/src/client/ differs from a fresh generation ({stale}): {REGENERATE}"
        )


def test_console_in_a_real_browser(base_url: str, admin_credentials: dict[str, str]) -> None:
    """Every Playwright spec in frontend/e2e/ (journeys, roles, keys, auth, axe, screenshots)."""
    _require_console_tooling()
    artifacts = FRONTEND / "e2e-artifacts"
    shutil.rmtree(artifacts, ignore_errors=True)
    result = _npx(
        "playwright",
        "test",
        env={
            "BASE_URL": base_url,
            "ADMIN_USERNAME": admin_credentials["username"],
            "ADMIN_PASSWORD": admin_credentials["password"],
            "E2E_ARTIFACTS": str(artifacts),
            "CHROMIUM_PATH": CHROMIUM,
            "CI": "1",
        },
        timeout=1800,
    )
    output = result.stdout + result.stderr
    # The dashboard timing and the screenshot location go to the test log (pytest -s / CI).
    for line in output.splitlines():
        if line.startswith("DASHBOARD_INTERACTIVE_MS"):
            sys.stderr.write(line + "\n")
    sys.stderr.write(f"console screenshots: {artifacts / 'screenshots'}\n")
    assert result.returncode == 0, "Playwright failed:\n" + output[-30000:]
    shots = sorted(p.name for p in (artifacts / "screenshots").glob("*.png"))
    assert len(shots) == 16 * 3 + 2, shots  # every page x 3, plus the models analytics x 2
