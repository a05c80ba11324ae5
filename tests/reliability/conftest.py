"""Fixtures of the fault matrix: one 60-clip, 3-channel plan per Postiz version,
made and applied once per session, then copied for every test (a sandbox
database copy is much cheaper than 180 creates)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from reliability.harness import Box, ForkRunner, Project, base_env, make_plan


@pytest.fixture(scope="session")
def runner(tmp_path_factory) -> ForkRunner:
    r = ForkRunner(tmp_path_factory.mktemp("forkruns"))
    yield r
    r.close()


def _start(db: Path, compat: str, limit: int, port: int = 0) -> Box:
    from planner.sandbox.server import SandboxServer

    server = SandboxServer(db, limit=limit, compat=compat, port=port).start()
    return Box(server.base_url, server.api_key, server)


@pytest.fixture(scope="session")
def templates(tmp_path_factory, runner):
    """compat -> (fresh template dir, applied template dir, port the applied db was served on)."""
    made: dict[str, tuple[Path, Path, int]] = {}

    def get(compat: str) -> tuple[Path, Path, int]:
        if compat in made:
            return made[compat]
        fresh = tmp_path_factory.mktemp(f"fresh-{compat}")
        make_plan(fresh, runner)
        applied = tmp_path_factory.mktemp(f"applied-{compat}")
        shutil.copytree(fresh, applied, dirs_exist_ok=True)
        box = _start(applied / "sandbox.db", compat, 100000)
        project = Project(applied, box, runner, applied / "plans" / "ep12.yaml", base_env(applied))
        run = project.apply()
        box.stop()
        assert run.rc == 0, run.text
        made[compat] = (fresh, applied, box.server.port)
        return made[compat]

    return get


@pytest.fixture
def project_factory(tmp_path, runner, templates):
    boxes: list[Box] = []

    def make(compat: str = "main", *, applied: bool = False, limit: int = 100000) -> Project:
        fresh, done, port = templates(compat)
        root = tmp_path / f"p{len(boxes)}"
        shutil.copytree(done if applied else fresh, root)
        shutil.rmtree(root / "cache", ignore_errors=True)  # a fresh budget memory per test
        (root / "cache").mkdir()
        if applied:
            # Same port as when it was applied: the state file records the server's URL.
            box = _start(root / "sandbox.db", compat, limit, port=port)
        else:
            box = _start(root / "sandbox.db", compat, limit)
        boxes.append(box)
        return Project(root, box, runner, root / "plans" / "ep12.yaml", base_env(root))

    yield make
    for box in boxes:
        box.stop()


@pytest.fixture(params=["main", "v2.23.0"])
def compat(request) -> str:
    return request.param
