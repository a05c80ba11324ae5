"""Fixtures for plan/validate tests: the real CLI entry point, run in-process."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from planner.cli import main

NOW = "2026-11-26T00:00:00+00:00"


@dataclass
class Result:
    code: int
    out: str
    err: str


def run_cli(capsys, *args: str, now: str | None = NOW) -> Result:
    argv = [str(a) for a in args]
    if now is not None and argv and argv[0] in ("plan", "validate"):
        argv += ["--now", now]
    capsys.readouterr()
    with pytest.raises(SystemExit) as exc:
        main(argv)
    out, err = capsys.readouterr()
    code = exc.value.code if isinstance(exc.value.code, int) else (0 if exc.value.code is None else 1)
    return Result(code, out, err)


@pytest.fixture
def cli(capsys):
    """cli("plan", ws, "--interval", "4h", ...) -> Result(code, out, err), with now = NOW."""
    def invoke(*args: str, now: str | None = NOW) -> Result:
        return run_cli(capsys, *args, now=now)
    return invoke


@pytest.fixture(autouse=True)
def _no_color(monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.delenv("CLIPER_WORKSPACE", raising=False)
    monkeypatch.delenv("CLIPER_SCHED_NOW", raising=False)
