"""Faults of whole processes: the Postiz server killed and restarted in the middle
of an apply, and two applies of one plan started at the same moment."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request

import pytest
from reliability.figures import record
from reliability.harness import REPO, Box, Project, assert_converged, base_env, duplicates

from support.cli import argv as cliper_sched

KEY = "sandbox-restart-test-key"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start_sandbox(db, port: int) -> subprocess.Popen:
    proc = subprocess.Popen([*cliper_sched(), "sandbox", "--port", str(port), "--db", str(db),
                             "--api-key", KEY, "--limit", "100000", "--quiet"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=str(REPO))
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/_sandbox/clock", timeout=1).read()
            return proc
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.05)
    proc.kill()
    raise AssertionError("the sandbox did not start")


def _apply_process(project: Project, name: str = "apply", *extra: str) -> subprocess.Popen:
    """A real `cliper-sched apply` in the background; its output goes to files
    (a pipe nobody reads would fill up and stall it)."""
    env = {**project.env, "POSTIZ_API_URL": project.box.api_url, "POSTIZ_API_KEY": project.box.api_key}
    out = open(project.root / f"{name}.out", "w+")  # noqa: SIM115 - closed by _finish
    proc = subprocess.Popen([*cliper_sched(), "apply", str(project.plan), "--auto-approve",
                             "--rate-limit", "100000/h", *extra], env=env, stdout=out, stderr=subprocess.STDOUT,
                            text=True, cwd=str(REPO))
    proc.output_file = out
    return proc


def _finish(proc: subprocess.Popen, timeout: float = 120) -> str:
    proc.wait(timeout=timeout)
    proc.output_file.seek(0)
    text = proc.output_file.read()
    proc.output_file.close()
    return text


def _wait_fired(box: Box, apply: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(f["fired"] for f in box.control("GET", "faults")["faults"]):
            return
        if apply.poll() is not None:
            raise AssertionError("apply ended before the fault fired:\n" + _finish(apply))
        time.sleep(0.05)
    raise AssertionError("the fault never fired")


@pytest.mark.slow
def test_postiz_killed_and_restarted_mid_apply(tmp_path, templates, runner):
    fresh, _applied = templates("main")
    root = tmp_path / "p"
    shutil.copytree(fresh, root, ignore=shutil.ignore_patterns(".built", "cache"))
    port = _free_port()
    db = root / "sandbox.db"
    server = _start_sandbox(db, port)
    box = Box(f"http://127.0.0.1:{port}", KEY)
    project = Project(root, box, runner, root / "plans" / "ep12.yaml", base_env(root))
    try:
        # The 20th create hangs inside the server: kill -9 the server while it does.
        box.fault(method="POST", path="/public/v1/posts", action="delay", seconds=30, nth=20)
        apply = _apply_process(project)
        _wait_fired(box, apply)
        os.kill(server.pid, signal.SIGKILL)
        server.wait(timeout=10)
        server = _start_sandbox(db, port)  # same database, same port: Postiz came back
        text = _finish(apply)
        assert apply.returncode in (1, 4), text
        assert "Traceback" not in text
        assert duplicates(box) == []
        record("faults_injected")
        again = project.apply(CLIPER_SCHED_SETTLE_SECONDS="1")
        assert again.rc == 0, again.text
        assert_converged(project)
        record("faults_survived")
    finally:
        server.kill()
        server.wait(timeout=10)


@pytest.mark.slow
def test_two_applies_of_one_plan_started_at_once(project_factory):
    project = project_factory("main")
    # The first upload takes 5 s, so the two runs overlap even on a slow, busy machine.
    project.box.fault(method="POST", path="/public/v1/upload", action="delay", seconds=5, nth=1)
    first, second = _apply_process(project, "first"), _apply_process(project, "second")
    results = [_finish(p) for p in (first, second)]
    codes = sorted(p.returncode for p in (first, second))
    assert codes == [0, 1], results
    loser = next(text for p, text in zip((first, second), results, strict=True) if p.returncode == 1)
    assert "another cliper-sched run is applying this plan" in loser
    assert "Traceback" not in loser
    assert duplicates(project.box) == []
    record("faults_injected")
    assert_converged(project)
    record("faults_survived")


@pytest.mark.slow
def test_an_apply_that_waits_for_the_lock_reads_everything_again_and_sends_nothing(project_factory):
    """Two CI jobs apply one new plan at once. The second waits for the lock
    (--lock-timeout); the state file it read before waiting is stale by then. It must
    read it again, find the first run's posts and uploads, and have nothing left to do."""
    project = project_factory("main")
    project.box.fault(method="POST", path="/public/v1/upload", action="delay", seconds=3, nth=1)
    first = _apply_process(project, "first")
    _wait_fired(project.box, first)  # the first run holds the lock, inside its first upload
    second = _apply_process(project, "second", "--lock-timeout", "2m")
    texts = [_finish(p) for p in (first, second)]
    assert [first.returncode, second.returncode] == [0, 0], texts
    assert "waiting up to 2m" in texts[1], texts[1]
    assert "No changes. Postiz matches the plan." in texts[1], texts[1]
    assert "Traceback" not in texts[1]
    assert duplicates(project.box) == []
    assert_converged(project)
    # The second run wrote the state file last: from what it read after waiting, or the
    # first run's uploads would be forgotten and sent again by the next change.
    import yaml

    clips = {p["media"]["sha256"] for p in yaml.safe_load(project.plan.read_text("utf-8"))["posts"]}
    assert set(json.loads(project.state_path.read_text("utf-8"))["media"]) == clips
    # And it sent nothing itself: Postiz got each clip once, from the first run.
    uploaded = [f for f in (project.root / "sandbox-uploads").rglob("*") if f.is_file()]
    assert len(uploaded) == len(clips), len(uploaded)
