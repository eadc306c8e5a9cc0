"""The one server command line (segshared.serve): valid for the installed servers, and what
the images' CMD runs."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable

import pytest
from segshared.serve import granian_command, uvicorn_command


@pytest.mark.parametrize("command", [uvicorn_command, granian_command])
def test_every_flag_is_one_the_installed_server_accepts(
    command: Callable[[str, str, int | str], list[str]],
) -> None:
    # The server parses every option before acting on --help: an unknown flag exits 2.
    argv = [*command("gateway", "127.0.0.1", 8000), "--help"]
    result = subprocess.run(argv, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr


def test_image_cmd_replaces_itself_with_uvicorn_for_SERVICE() -> None:
    env = {**os.environ, "SERVICE": "profile-service", "PORT": "8002"}
    result = subprocess.run(
        [sys.executable, "-m", "segshared.serve", "--version"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Running uvicorn")
