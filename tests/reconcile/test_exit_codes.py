"""Every exit code the README documents (0, 1, 2, 3, 4, 130) as a script sees it:
through the real entry point in a subprocess where click's own handling matters.
0/2 are also covered in test_apply, 3 and 4 in test_recovery."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from datetime import UTC, datetime, timedelta

from support.cli import argv as cliper_sched
from support.reconcile_helpers import run, run_subprocess


def _spend_budget(box, seconds: float) -> datetime:
    """An earlier run spent the hourly budget; the window ends in `seconds`."""
    from planner.postiz.budget import RateBudget
    from planner.reconcile import budgetcache

    reset = datetime.now(UTC) + timedelta(seconds=seconds)
    spent = RateBudget(30)
    spent.restore({"limit": 30, "remaining": 0, "known": True, "reset_at": reset.isoformat(), "blocked_until": None})
    budgetcache.save(spent, box.api_url)
    return reset


def test_a_mistyped_flag_is_exit_1_not_2_which_means_changes(sandbox_main, plan):
    # CI runs `diff --detailed-exitcode` and reads 2 as "changes pending".
    typo = run_subprocess("diff", str(plan), "--detailed-exitcode", "--worksapce", "x")
    assert typo.returncode == 1, typo.stderr
    assert "No such option '--worksapce'" in typo.stderr
    no_auto = run_subprocess("apply", str(plan), "--json")
    assert no_auto.returncode == 1 and "--json needs --auto-approve" in no_auto.stderr
    pending = run_subprocess("diff", str(plan), "--detailed-exitcode")
    assert pending.returncode == 2, pending.stderr


def test_postiz_unreachable_is_exit_1_with_a_message(env, plan, monkeypatch):
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("POSTIZ_API_URL", f"http://127.0.0.1:{port}/api")
    monkeypatch.setenv("POSTIZ_API_KEY", "k" * 64)
    for command in ("diff", "apply"):  # each retries a refused connection for ~3 s
        result = run(command, str(plan), *(["--auto-approve"] if command in ("apply", "destroy") else []))
        assert result.exit_code == 1, (command, result.output, result.error)
        assert f"127.0.0.1:{port}" in result.error and "Traceback" not in result.error


def test_ctrl_c_while_waiting_is_130_and_a_concurrent_apply_is_locked_out(sandbox_main, plan):
    _spend_budget(sandbox_main, 60)
    first = subprocess.Popen([*cliper_sched(), "apply", str(plan), "--auto-approve", "--wait"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=dict(os.environ))
    try:
        lines = []
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            line = first.stdout.readline()
            lines.append(line)
            if "waiting until" in line or not line:
                break
        assert "Rate-limit budget spent: waiting until" in "".join(lines), "".join(lines) + first.stderr.read()

        # The first apply holds the plan's lock while it waits: a second one must not interleave.
        second = run_subprocess("apply", str(plan), "--auto-approve", "--no-wait")
        assert second.returncode == 1, second.stdout + second.stderr
        assert "another cliper-sched run is applying this plan right now" in second.stderr

        first.send_signal(signal.SIGINT)
        out, err = first.communicate(timeout=30)
    finally:
        if first.poll() is None:
            first.kill()
    assert first.returncode == 130, "".join(lines) + out + err
    assert "Interrupted while waiting for the rate-limit budget." in out
    assert "Traceback" not in err
    assert sandbox_main.posts() == []  # nothing was sent while waiting
    assert plan.state()["journal"] == []  # nothing left pending: the next run starts clean


def test_no_lock_file_is_left_in_the_plans_folder(sandbox_main, plan):
    assert run("apply", str(plan), "--auto-approve").exit_code == 0
    run("diff", str(plan))
    run("pull", str(plan))
    plan.state_path.unlink()
    assert run("import", str(plan)).exit_code == 0
    assert run("destroy", str(plan), "--auto-approve").exit_code == 0
    assert sorted(p.name for p in plan.path.parent.iterdir()) == ["ep12.state.json", "ep12.yaml"]
