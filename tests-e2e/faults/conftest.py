"""The fault suite's result table, printed at the end of the run (also without -s)."""

from __future__ import annotations

import pytest
from faultkit import SUMMARY


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if SUMMARY:
        terminalreporter.section("fault summary")
        for line in SUMMARY:
            terminalreporter.write_line(line)
