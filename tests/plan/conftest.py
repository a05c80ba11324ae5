"""Fixtures for plan/validate tests: the installed `cliper-sched`, in a fresh process."""

from __future__ import annotations

import pytest

from support import cli as cli_process
from support.cli import Result

NOW = "2026-11-26T00:00:00+00:00"


def run_cli(*args: str, now: str | None = NOW) -> Result:
    argv = [str(a) for a in args]
    if now is not None and argv and argv[0] in ("plan", "validate"):
        argv += ["--now", now]
    return cli_process.run(*argv)


@pytest.fixture
def cli():
    """cli("plan", ws, "--interval", "4h", ...) -> Result(code, out, err), with now = NOW."""
    def invoke(*args: str, now: str | None = NOW) -> Result:
        return run_cli(*args, now=now)
    return invoke


@pytest.fixture(autouse=True)
def _no_color(monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.delenv("CLIPER_WORKSPACE", raising=False)
    monkeypatch.delenv("CLIPER_SCHED_NOW", raising=False)
