"""The package as users get it: a wheel installed into a fresh, isolated venv.

Everything else in the suite runs the console script from a venv that borrows
the test run's site-packages; this test proves the wheel alone (its declared
dependencies, its package data, its entry point) gives a working command.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from planner.cli import COMMANDS

REPO = Path(__file__).resolve().parents[1]

# One worker under pytest-xdist runs this module, so the wheel is built and installed once.
pytestmark = pytest.mark.xdist_group("packaging")


def _sh(*cmd, cwd=None, timeout=600) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    return subprocess.run([str(c) for c in cmd], capture_output=True, text=True, cwd=cwd,
                          timeout=timeout, env={**env, "NO_COLOR": "1"})


@pytest.fixture(scope="module")
def fresh_install(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("wheel")
    src = root / "src"
    shutil.copytree(REPO / "planner", src / "planner", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "setup.py", "README.md"):
        shutil.copy2(REPO / name, src / name)
    built = _sh(sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", root / "dist", src)
    assert built.returncode == 0, built.stderr
    wheel = next((root / "dist").glob("cliper_sched-*.whl"))
    venv.EnvBuilder(with_pip=True, symlinks=True).create(root / "venv")
    bindir = root / "venv" / "bin"
    installed = _sh(bindir / "python", "-m", "pip", "install", "-q", "--disable-pip-version-check", wheel)
    assert installed.returncode == 0, installed.stderr
    return bindir


def test_the_wheel_ships_a_working_command(fresh_install, tmp_path):
    command = fresh_install / "cliper-sched"
    top = _sh(command, "--help", cwd=tmp_path)
    assert top.returncode == 0, top.stderr
    for name in COMMANDS:
        assert name in top.stdout
        sub = _sh(command, name, "--help", cwd=tmp_path)
        assert sub.returncode == 0 and f"Usage: cliper-sched {name}" in sub.stdout, sub.stderr


def test_the_wheel_carries_its_schemas_compiled(fresh_install, tmp_path):
    # setup.py compiles each shipped JSON Schema to Python when the wheel is built, so no
    # command spends ~25 ms per schema doing it; a module counts only if made from the very
    # schema file the wheel ships (planner/schema.py), else it is compiled at run time.
    # They raise an error of their own, so a command never imports fastjsonschema's compiler.
    names = ("plan", "rules", "state", "changes")
    probe = _sh(fresh_install / "python", "-c", "import json, sys; from planner import schema; print(json.dumps("
                f"[[schema.compiled_check(n + '.schema.json').__module__, schema.schema_errors([], n + '.schema.json') != []]"
                f" for n in {names!r}] + ['fastjsonschema' in sys.modules]))", cwd=tmp_path)
    assert probe.returncode == 0, probe.stderr
    assert json.loads(probe.stdout) == [[f"planner._compiled_schemas.{n}", True] for n in names] + [False]


def test_the_wheel_plans_the_bundled_example(fresh_install, tmp_path):
    out = tmp_path / "plans" / "example.yaml"
    plan = _sh(fresh_install / "cliper-sched", "plan", REPO / "examples" / "cliper-workspace",
               "--rules", REPO / "examples" / "rules.yaml", "-o", out, "--now", "2026-11-26T00:00:00Z",
               cwd=tmp_path)
    assert plan.returncode == 0, plan.stderr
    # The bundled workspace lies outside tmp_path: the user names it (a plan alone may not).
    checked = _sh(fresh_install / "cliper-sched", "validate", out, "--now", "2026-11-26T00:00:00Z",
                  "--workspace", REPO / "examples" / "cliper-workspace", cwd=tmp_path)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "Traceback" not in plan.stderr + checked.stderr
    assert out.read_text("utf-8").count("- key:") == 5  # five clips in the example workspace
