"""SIGKILL of the apply process at every request boundary of a long apply.

The apply of a 60-clip, 3-channel plan makes 120 mutating requests (60 uploads,
60 creates of 3 posts each) and about as many state writes. The kill hook
(`FORKRUN_KILL_AT`, planner/reconcile/crashpoints.py) stops the process at
the n-th `before-request`, `after-request`, `before-state-write` or
`after-state-write`; the fork server adds "half-way through writing the state
file". Each kind runs as a chain: every run is a recovery of the previous
crash and is itself killed at its first point that makes progress (n = 1, 2,
... until Postiz or the state changed), so every boundary of the whole apply is
crashed at least once, and recovery-after-recovery is exercised too. After
every kill: no duplicate in Postiz and a state file that is valid JSON against
its schema. At the end a plain re-run converges.

Every boundary is the full chain: ~180-360 kills per chain, minutes of the test
suite. By default (`pytest`) each chain crashes a deterministic subset instead:
after a kill that made progress, the next run is killed alternately at its first
boundary (recovery-after-recovery, as in the full chain) and at its STRIDE-th one,
so the chain still walks the whole apply from first to last request, crashing it
at least every STRIDE boundaries, with the same checks after every kill. Which
boundaries are crashed depends only on the plan, never on timing. CLIPER_SCHED_FULL_CHAINS=1
(which `python bench/reliability_figures.py` sets, for docs/reliability.md) crashes
every boundary again.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time

import pytest
from reliability.figures import record
from reliability.harness import REPO, Project, assert_converged, duplicates, state_problems

from support.cli import argv as cliper_sched

# Every kill here falls between requests, so none is in flight when the next run reads
# Postiz back: a short settle wait only makes the runs quicker, and makes a request
# wrongly sent again show up sooner as a duplicate.
SETTLE = {"CLIPER_SCHED_SETTLE_SECONDS": "0.2"}
# See the module docstring: 1 = every boundary, the full chain.
STRIDE = 1 if os.environ.get("CLIPER_SCHED_FULL_CHAINS") == "1" else 8


def _fingerprint(project: Project, rows: list[dict]) -> tuple:
    """What a run can durably achieve: posts in Postiz, posts and uploads the state owns."""
    live = tuple(sorted(r["id"] for r in rows))
    owned: tuple = ()
    if project.state_path.exists():
        try:
            data = json.loads(project.state_path.read_text("utf-8"))
            owned = (tuple(sorted((a, o["post_id"]) for a, o in data["posts"].items())), tuple(sorted(data["media"])))
        except ValueError:
            owned = ("corrupt",)
    return live, owned


def _kill_env(kind: str, n: int) -> dict:
    if kind == "mid-state-write":
        return {"FORKRUN_KILL_MID_STATE_WRITE": str(n)}
    return {"FORKRUN_KILL_AT": f"{kind}:{n}"}


def boundaries(project: Project) -> dict[str, int]:
    """How many times an uninterrupted apply of this plan reaches each kill point
    (measured on a copy, so the project itself stays untouched)."""
    import shutil

    from reliability.conftest import _start
    from reliability.harness import Box

    twin_root = project.root.parent / (project.root.name + "-count")
    shutil.copytree(project.root, twin_root)
    counts = twin_root / "points.json"
    box = _start(twin_root / "sandbox.db", project.box.server.compat, 100000)
    try:
        twin = Project(twin_root, Box(box.base_url, box.api_key, box.server), project.runner,
                       twin_root / "plans" / project.plan.name, project.env)
        run = twin.apply(FORKRUN_COUNT_POINTS=str(counts))
        assert run.rc == 0, run.text
    finally:
        box.stop()
    data = json.loads(counts.read_text())
    data["mid-state-write"] = data.get("before-state-write", 0)
    return data


def kill_chain(project: Project, kind: str, stride: int = 1, max_runs: int = 800) -> dict:
    """Kill runs of apply until one completes. After progress, the next run is killed at
    its first boundary (stride 1: always; else every other time, and at its `stride`-th
    boundary in between); after none, one boundary later than the last try."""
    n, kills, runs, steps = 1, 0, 0, 0
    positions = set()
    seen = _fingerprint(project, project.box.rows())
    while True:
        runs += 1
        assert runs <= max_runs, f"{kind}: no convergence after {max_runs} runs"
        run = project.apply(**SETTLE, **_kill_env(kind, n))
        if not run.killed:
            assert run.rc == 0, run.text
            assert "Traceback" not in run.text
            break
        kills += 1
        rows = project.box.rows()
        dupes = duplicates(project.box, rows=rows)
        assert dupes == [], f"{kind}:{n} after {kills} kills: duplicates {dupes}"
        assert state_problems(project.state_path) == [], f"{kind}:{n}: {state_problems(project.state_path)}"
        now = _fingerprint(project, rows)
        positions.add((len(now[0]), len(now[1][0]) if len(now[1]) == 2 else 0,
                       len(now[1][1]) if len(now[1]) == 2 else 0, n))
        if now == seen:
            n += 1  # no progress: crash one boundary later next time
        else:
            steps += 1
            seen, n = now, (1 if stride == 1 or steps % 2 == 0 else stride)
    return {"kills": kills, "runs": runs, "positions": len(positions)}


# A crash's durable outcome is the same after a request and before the state
# write that records it (and after a state write and before the next request,
# which the single kills below also try): CI runs one of each pair. RELIABILITY_FULL=1 (bench/reliability_figures.py
# --full) runs the equivalent ones too.
CHAINS = [("main", "after-request"), ("main", "mid-state-write"), ("v2.23.0", "after-request")]
if os.environ.get("RELIABILITY_FULL"):
    CHAINS += [("main", "before-request"), ("main", "before-state-write"), ("main", "after-state-write"),
               ("v2.23.0", "before-request")]


@pytest.mark.slow
@pytest.mark.parametrize("compat,kind", CHAINS, ids=[f"{c}-{k}" for c, k in CHAINS])
def test_sigkill_at_every_boundary_of_a_long_apply(project_factory, compat, kind):
    project = project_factory(compat)
    points = boundaries(project)[kind]
    assert points >= 120, points  # 60 uploads + 60 creates at least: else the hook is not wired
    figures = kill_chain(project, kind, STRIDE)
    # A run killed at its n-th boundary gets at most n boundaries further: the chain
    # crashed the apply at least every STRIDE boundaries (STRIDE 1: every boundary).
    assert figures["kills"] >= points / STRIDE, (figures, points, STRIDE)
    final = project.apply()
    assert final.rc == 0 and "No changes. Postiz matches the plan." in final.stdout, final.text
    assert_converged(project)
    record("kill_points", figures["kills"], kind=f"{compat}/{kind}")
    record("boundaries_covered", points, kind=f"{compat}/{kind}")
    record("kill_runs", figures["runs"])


# One point is re-run exactly as a user would, with no knob: that run waits the real
# settle time (up to 10 s after the crashed run's last state write) for the first
# journaled request it cannot find. The others re-run with the short settle wait the
# chains use (see SETTLE): same checks, without ten seconds of sleep each.
PLAIN_RERUN_AT = "after-request:61"


@pytest.mark.slow
@pytest.mark.parametrize("point", ["before-request:1", "after-request:1", "after-request:60",
                                   PLAIN_RERUN_AT, "after-request:95", "after-state-write:100",
                                   "before-state-write:110"])
def test_one_kill_then_a_rerun_converges(project_factory, point):
    project = project_factory("main")
    crashed = project.apply(FORKRUN_KILL_AT=point)
    assert crashed.killed, crashed.text
    assert duplicates(project.box) == []
    again = project.apply() if point == PLAIN_RERUN_AT else project.apply(**SETTLE)
    assert again.rc == 0, again.text
    assert_converged(project)
    record("kill_points")


@pytest.mark.slow
def test_a_real_kill_9_of_the_installed_command_mid_request(project_factory):
    """The same, without the fork server or any crash point: the installed `cliper-sched
    apply`, SIGKILLed from outside while one of its creates is still in flight."""
    project = project_factory("v2.23.0")
    env = {**project.env, "POSTIZ_API_URL": project.box.api_url, "POSTIZ_API_KEY": project.box.api_key}
    cmd = [*cliper_sched(), "apply", str(project.plan), "--auto-approve", "--rate-limit", "100000/h"]
    # The 20th create is held by the server for a while: kill the client meanwhile.
    project.box.fault(method="POST", path="/public/v1/posts", nth=20, action="delay", seconds=3)
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=str(REPO))
    try:
        deadline = time.monotonic() + 120
        while project.box.control("GET", "ratelimit")["hits"] < 20 and time.monotonic() < deadline:
            assert proc.poll() is None, "apply ended before the 20th create"
            time.sleep(0.02)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait(timeout=30)
    assert proc.returncode == -9
    # Re-run at once: the held create is still in Postiz's hands. The tool must wait for
    # it (the first journaled request not found after a crash) rather than send it again.
    again = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=str(REPO), timeout=300)
    assert again.returncode == 0, again.stdout + again.stderr
    assert duplicates(project.box) == []
    assert_converged(project)
    record("kill_points")


def test_no_half_written_temp_file_is_left_beside_the_plan_after_recovery(project_factory):
    """A kill half-way through writing the state leaves a temp file; recovery must not leave it in git's view."""
    project = project_factory("main")
    crashed = project.apply(FORKRUN_KILL_MID_STATE_WRITE="5")
    assert crashed.killed
    again = project.apply(**SETTLE)
    assert again.rc == 0, again.text
    assert_converged(project)
    assert [p.name for p in project.plan.parent.iterdir() if p.name.endswith(".tmp")] == []
