"""Shared fixtures.

`shared_dir` points at ../shared (CI has it; users do not): tests that need it
skip with a reason when it is absent. Everything else builds its own fixtures.

Two session-wide guarantees:
- the tool under test is the installed console script: the session installs the
  working tree with pip into a private venv and puts it first on PATH
  (support/cli.py says why); under pytest-xdist (`-n`, see pyproject.toml) the
  workers of one run share one install (`_install_once`);
- no test leaves a process behind, pass or fail (`_no_process_left_behind`); each
  xdist worker is its own child subreaper and checks its own children.

Retries against a failing or absent server back off for real in the client: the
suite shrinks that wait with CLIPER_SCHED_RETRY_BACKOFF (planner/postiz/transport.py),
which changes how long a retry waits, never whether it happens.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent
sys.path.insert(0, str(TESTS))  # makes `support.*` importable

from support import cli, processes  # noqa: E402
from support.cli import install_console_script  # noqa: E402

SHARED = Path(os.environ.get("CLIPER_SHARED_DIR", REPO.parent / "shared"))

# Every `cliper-sched` the tests start inherits it (unless a test sets it itself).
os.environ.setdefault("CLIPER_SCHED_RETRY_BACKOFF", "0.01")


def pytest_configure(config):
    # Orphaned grandchildren (a sandbox started by a shell script, say) are
    # re-parented to this process, so the leftover check below sees them.
    processes.become_subreaper()
    cli.let_children_see_ctrl_c()


def _install_once(tmp_path_factory) -> Path:
    """The bin/ of this run's install of the working tree.

    Each pytest-xdist worker runs its own session; the first to get here installs
    into the run's temp root (shared by that run's workers only, so a concurrent or
    later run never reuses it), the others wait on the lock and reuse that venv.
    """
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return install_console_script(REPO, tmp_path_factory.mktemp("installed"))
    from filelock import FileLock

    shared = tmp_path_factory.getbasetemp().parent / "installed"
    done = shared / "bindir.txt"
    with FileLock(f"{shared}.lock"):
        if not done.is_file():
            shutil.rmtree(shared, ignore_errors=True)
            shared.mkdir()
            done.write_text(str(install_console_script(REPO, shared)), "utf-8")
    return Path(done.read_text("utf-8"))


@pytest.fixture(scope="session", autouse=True)
def installed_cli(tmp_path_factory) -> Path:
    """The working tree, `pip install`ed into a venv whose bin/ leads PATH."""
    bindir = _install_once(tmp_path_factory)
    old_path = os.environ.get("PATH", "")
    os.environ["PATH"] = f"{bindir}{os.pathsep}{old_path}"
    yield bindir
    os.environ["PATH"] = old_path


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_auto_num_workers(config):
    # `-n auto` (pyproject.toml): two workers per core, at most 16. The tests spend much
    # of their time waiting on the processes they start, on sockets and on fsync, so one
    # worker per core leaves the cores idle part of the time. PYTEST_XDIST_AUTO_NUM_WORKERS
    # still wins (None: pytest-xdist's own rule reads it).
    if os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS"):
        return None
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return min(2 * cores, 16)


def pytest_collection_modifyitems(config, items):
    # Under pytest-xdist, hand out the longest tests (marked slow, and the wheel build of
    # test_packaging) first, so that no worker is still running one of them at the end
    # while the others sit idle. The order is the same in every worker, as xdist requires.
    def first(item) -> bool:
        group = item.get_closest_marker("xdist_group")
        return item.get_closest_marker("slow") is not None or (group is not None and "packaging" in group.args)

    items[:] = sorted(items, key=lambda item: not first(item))


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
