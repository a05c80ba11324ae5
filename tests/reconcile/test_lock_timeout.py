"""`--lock-timeout DURATION`: a run that finds another one holding the plan's lock
waits for it instead of failing at once; without the flag it still fails at once.

The other run is this test process holding the very lock file a cliper-sched run
takes (`state.lock_path_for`, keyed by the plan id and the server's channel ids);
the command under test is the installed `cliper-sched` in a fresh process.
"""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager

import filelock

from planner.reconcile.state import lock_path_for
from support.reconcile_helpers import run


def _lock_key(box, plan) -> str:
    names = {ref for post in plan.doc["posts"] for ref in post["channels"]}
    ids = sorted(c["id"] for c in box.controls.channels() if c["name"] in names)
    return plan.doc["id"] + "|" + ",".join(ids)


@contextmanager
def _held(box, plan, seconds: float):
    """Hold the plan's lock from another thread for `seconds` (filelock locks are per
    thread of this process, and fcntl keeps the cliper-sched process out)."""
    taken, done = threading.Event(), threading.Event()

    def hold():
        lock = filelock.FileLock(str(lock_path_for(_lock_key(box, plan))), timeout=0)
        with lock:
            taken.set()
            done.wait(seconds)
    worker = threading.Thread(target=hold, daemon=True)
    worker.start()
    assert taken.wait(10), "the test could not take the plan's lock"
    try:
        yield
    finally:
        done.set()
        worker.join(10)


def test_without_lock_timeout_a_locked_plan_fails_at_once(sandbox_main, plan):
    with _held(sandbox_main, plan, 30):
        started = time.monotonic()
        result = run("pull", str(plan))
        elapsed = time.monotonic() - started
    assert result.exit_code == 1, result.output + result.error
    assert "another cliper-sched run is applying this plan right now" in result.error
    assert "--lock-timeout" in result.error and "Traceback" not in result.error
    assert elapsed < 20  # no waiting: well under the 30 s the lock is held


def test_lock_timeout_waits_for_the_other_run_then_proceeds(sandbox_main, plan):
    with _held(sandbox_main, plan, 1.0):
        started = time.monotonic()
        result = run("pull", str(plan), "--lock-timeout", "20s")
        elapsed = time.monotonic() - started
    assert result.exit_code == 0, result.output + result.error
    assert "Nothing to pull" in result.output
    assert "waiting up to 20s" in result.error  # the user sees why nothing happens yet
    assert elapsed >= 0.9


def test_lock_timeout_that_runs_out_says_how_long_it_waited(sandbox_main, plan):
    with _held(sandbox_main, plan, 30):
        started = time.monotonic()
        result = run("pull", str(plan), "--lock-timeout", "2s")
        elapsed = time.monotonic() - started
    assert result.exit_code == 1, result.output + result.error
    assert "still applying this plan after waiting 2s" in result.error and "Traceback" not in result.error
    assert 1.9 <= elapsed < 20


def test_destroy_import_and_state_commands_wait_too(sandbox_main, plan):
    with _held(sandbox_main, plan, 1.0):
        destroy = run("destroy", str(plan), "--auto-approve", "--lock-timeout", "30s")
    assert destroy.exit_code == 0, destroy.output + destroy.error
    assert "Nothing to destroy" in destroy.output
    with _held(sandbox_main, plan, 1.0):
        result = run("import", str(plan), "--lock-timeout", "1m")
    assert result.exit_code == 0, result.output + result.error
    assert "Imported 0 post(s)" in result.output
    with _held(sandbox_main, plan, 1.0):
        rm = run("state", "rm", str(plan), "clip-01@tiktok-main", "--lock-timeout", "30s")
    # Reached past the lock: refused for the address, not for the lock.
    assert rm.exit_code == 1 and "owns no post at address 'clip-01@tiktok-main'" in rm.error, rm.error


def test_a_lock_timeout_that_is_not_a_duration_is_refused(sandbox_main, plan):
    result = run("pull", str(plan), "--lock-timeout", "soon")
    assert result.exit_code == 1 and "'soon': give how long to wait" in result.error
    assert "Traceback" not in result.error
