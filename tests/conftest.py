"""Shared fixtures.

`shared_dir` points at ../shared (CI has it; users do not): tests that need it
skip with a reason when it is absent. Everything else builds its own fixtures.

Two session-wide guarantees:
- the tool under test is the installed console script: the session installs the
  working tree with pip into a private venv and puts it first on PATH
  (support/cli.py says why);
- no test leaves a process behind, pass or fail (`_no_process_left_behind`).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent
sys.path.insert(0, str(TESTS))  # makes `support.*` importable

from support import processes  # noqa: E402
from support.cli import install_console_script  # noqa: E402

SHARED = Path(os.environ.get("CLIPER_SHARED_DIR", REPO.parent / "shared"))


def pytest_configure(config):
    # Orphaned grandchildren (a sandbox started by a shell script, say) are
    # re-parented to this process, so the leftover check below sees them.
    processes.become_subreaper()


@pytest.fixture(scope="session", autouse=True)
def installed_cli(tmp_path_factory) -> Path:
    """The working tree, `pip install`ed into a venv whose bin/ leads PATH."""
    bindir = install_console_script(REPO, tmp_path_factory.mktemp("installed"))
    old_path = os.environ.get("PATH", "")
    os.environ["PATH"] = f"{bindir}{os.pathsep}{old_path}"
    yield bindir
    os.environ["PATH"] = old_path


@pytest.fixture(autouse=True)
def _no_process_left_behind():
    before = processes.children()
    yield
    left = processes.reap_leftovers(exclude=before)
    if left:
        pytest.fail("the test left processes running (now killed):\n" + "\n".join(left), pytrace=False)


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    if not SHARED.is_dir():
        pytest.skip(f"../shared is absent ({SHARED}): reference samples and transcripts are CI-only")
    return SHARED


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO
