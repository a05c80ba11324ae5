"""Fixtures of the fault matrix: one 60-clip, 3-channel plan, and the same plan
applied once per Postiz version, made once per test run and copied for every
test (a sandbox database copy is much cheaper than 180 creates)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from reliability.harness import Box, ForkRunner, Project, base_env, make_plan


@pytest.fixture(scope="session")
def runner(tmp_path_factory) -> ForkRunner:
    r = ForkRunner(tmp_path_factory.mktemp("forkruns"))
    yield r
    r.close()


def _start(db: Path, compat: str, limit: int) -> Box:
    from planner.sandbox.server import SandboxServer

    server = SandboxServer(db, limit=limit, compat=compat).start()
    return Box(server.base_url, server.api_key, server)


def _templates_root(tmp_path_factory) -> Path:
    """Where this test run keeps its templates: under pytest-xdist, the run's temp root
    that its workers share (as tests/conftest.py's install does), so that the first
    worker to need a template builds it and the others copy it."""
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return tmp_path_factory.mktemp("templates")
    root = tmp_path_factory.getbasetemp().parent / "reliability-templates"
    root.mkdir(exist_ok=True)
    return root


@pytest.fixture(scope="session")
def templates(tmp_path_factory, runner):
    """compat -> (fresh template dir, applied template dir), each built once per test run."""
    from filelock import FileLock

    root = _templates_root(tmp_path_factory)

    def build(folder: Path, make) -> Path:
        with FileLock(f"{folder}.lock"):
            if not (folder / ".built").is_file():
                shutil.rmtree(folder, ignore_errors=True)
                folder.mkdir()
                make(folder)
                (folder / ".built").touch()
        return folder

    def apply_to(fresh: Path, compat: str):
        def make(applied: Path) -> None:
            shutil.copytree(fresh, applied, dirs_exist_ok=True, ignore=shutil.ignore_patterns(".built"))
            box = _start(applied / "sandbox.db", compat, 100000)
            project = Project(applied, box, runner, applied / "plans" / "ep12.yaml", base_env(applied))
            run = project.apply()
            box.stop()
            assert run.rc == 0, run.text
        return make

    def get(compat: str) -> tuple[Path, Path]:
        # The plan does not depend on the server: one fresh template serves both versions.
        fresh = build(root / "fresh", lambda folder: make_plan(folder, runner))
        return fresh, build(root / f"applied-{compat}", apply_to(fresh, compat))

    return get


@pytest.fixture
def project_factory(tmp_path, runner, templates):
    boxes: list[Box] = []

    def make(compat: str = "main", *, applied: bool = False, limit: int = 100000) -> Project:
        fresh, done = templates(compat)
        root = tmp_path / f"p{len(boxes)}"
        shutil.copytree(done if applied else fresh, root, ignore=shutil.ignore_patterns(".built", "cache"))
        (root / "cache").mkdir()  # a fresh budget memory per test
        box = _start(root / "sandbox.db", compat, limit)
        boxes.append(box)
        return Project(root, box, runner, root / "plans" / "ep12.yaml", base_env(root))

    yield make
    for box in boxes:
        box.stop()


@pytest.fixture(params=["main", "v2.23.0"])
def compat(request) -> str:
    return request.param
