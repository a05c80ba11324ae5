"""Fixtures for the reconciler's end-to-end tests: a real sandbox on 127.0.0.1,
plan files written as a user would write them, and a CLI runner that returns
the real exit codes.
"""

from __future__ import annotations

import pytest

from support.reconcile_helpers import (  # noqa: F401
    FUTURE,
    MP4,
    PlanFile,
    Result,
    Sandbox,
    at,
    run,
    run_subprocess,
)


@pytest.fixture
def sandbox_factory(tmp_path):
    from planner.sandbox.server import SandboxServer

    started = []

    def make(compat: str = "main", limit: int = 1000, db: str = "sandbox.db") -> Sandbox:
        server = SandboxServer(tmp_path / db, limit=limit, compat=compat).start()
        started.append(server)
        return Sandbox(server)

    yield make
    for server in started:
        server.stop()


@pytest.fixture(params=["main", "v2.23.0"])
def sandbox(request, sandbox_factory, env):
    box = sandbox_factory(compat=request.param)
    env(box)
    return box


@pytest.fixture
def sandbox_main(sandbox_factory, env):
    box = sandbox_factory(compat="main")
    env(box)
    return box


@pytest.fixture
def env(monkeypatch, tmp_path):
    monkeypatch.setenv("CLIPER_SCHED_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.delenv("CLIPER_WORKSPACE", raising=False)

    def point_at(box: Sandbox) -> None:
        monkeypatch.setenv("POSTIZ_API_URL", box.api_url)
        monkeypatch.setenv("POSTIZ_API_KEY", box.api_key)

    return point_at


@pytest.fixture
def plan(tmp_path) -> PlanFile:
    return PlanFile(tmp_path)
