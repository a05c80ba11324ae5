"""Writes the system refuses (a full disk, a file size limit, a read-only plan folder)
end in a message and exit 1, never a traceback or a half-written file; and cleaning
up after interrupted runs never removes a temp file a live run is still writing."""

from __future__ import annotations

import os
import resource
import shutil
import signal
import subprocess
from pathlib import Path

import pytest

from support.cli import argv as cliper_sched
from support.reconcile_helpers import run
from support.workspaces import make_workspace

NOW = "2026-11-26T00:00:00+00:00"


def _namespaces_work() -> bool:
    if not shutil.which("unshare"):
        return False
    probe = subprocess.run(["unshare", "--user", "--map-root-user", "--mount", "true"], capture_output=True)
    return probe.returncode == 0


# A private user + mount namespace: a small tmpfs or a read-only bind mount, seen by
# that process alone, as a real full disk or read-only volume is; no root needed.
needs_namespaces = pytest.mark.skipif(not _namespaces_work(), reason="needs Linux user namespaces (unshare)")

# The folder is copied onto a tmpfs filled to the last byte, the command runs, and
# what it left is copied out to $2 for the test to look at.
DISK_FULL = r"""
folder=$1 out=$2; shift 2
stash=$(mktemp -d)
cp -a "$folder/." "$stash/"
mount -t tmpfs -o size=256k tmpfs "$folder" && cp -a "$stash/." "$folder/" || exit 99
cat /dev/zero > "$folder/.filler" 2>/dev/null
"$@"; rc=$?
rm "$folder/.filler"
cp -a "$folder/." "$out/"
exit $rc
"""

READ_ONLY = r"""
folder=$1; shift
mount --bind "$folder" "$folder" && mount -o remount,bind,ro "$folder" || exit 99
exec "$@"
"""


def in_namespace(script: str, *args, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(["unshare", "--user", "--map-root-user", "--mount", "sh", "-c", script, "sh",
                           *map(str, args)], capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL)


def with_file_size_limit(limit: int, *args) -> subprocess.CompletedProcess:
    def limited() -> None:
        # Python ignores SIGXFSZ already; said here so a write past the limit fails
        # with EFBIG (as a full disk fails with ENOSPC) instead of killing the process.
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return subprocess.run(cliper_sched(*args), capture_output=True, text=True, timeout=120,
                          stdin=subprocess.DEVNULL, preexec_fn=limited)


def temps(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def _contents(box) -> list[tuple[str, str]]:
    return sorted((p["content"], p["publishDate"]) for p in box.posts())


@pytest.mark.parametrize("failure", [
    pytest.param("disk full", marks=needs_namespaces),
    "file size limit",
])
def test_a_refused_state_write_is_a_message_and_the_old_state_stays(sandbox_main, plan, tmp_path, failure):
    assert run("apply", str(plan), "--auto-approve").exit_code == 0
    old_state = plan.state_path.read_bytes()
    in_postiz = _contents(sandbox_main)
    plan.doc["posts"][0]["caption"] = "edited: the edit request waits for the journal write, which fails"
    plan.save()

    if failure == "disk full":
        after = tmp_path / "after"
        after.mkdir()
        res = in_namespace(DISK_FULL, plan.path.parent, after, *cliper_sched("apply", plan, "--auto-approve"))
        why, fix = "No space left on device", "free some disk space"
    else:
        after = plan.path.parent
        res = with_file_size_limit(len(old_state) // 2, "apply", plan, "--auto-approve")
        why, fix = "File too large", "raise the file size limit (ulimit -f)"

    assert res.returncode == 1, res.stdout + res.stderr
    assert "Traceback" not in res.stderr, res.stderr
    assert f"{plan.state_path}: cannot write the state file ({why})" in res.stderr, res.stderr
    assert f"nothing is sent twice; {fix}, then run the command again" in res.stderr
    assert (after / plan.state_path.name).read_bytes() == old_state
    assert temps(after) == []
    assert _contents(sandbox_main) == in_postiz  # the journal is written before the request: never sent
    again = run("apply", str(plan), "--auto-approve")
    assert again.exit_code == 0 and "0 added, 2 changed, 0 destroyed" in again.output, again.output + again.error


@pytest.mark.parametrize("failure", [
    pytest.param("disk full", marks=needs_namespaces),
    "file size limit",
])
def test_a_refused_plan_write_leaves_the_old_plan(tmp_path, failure):
    make_workspace(tmp_path / "ws", clips=3)
    folder = tmp_path / "plans"
    folder.mkdir()
    (folder / "ep12.yaml").write_text("# the plan reviewed yesterday\n", encoding="utf-8")
    args = ["plan", tmp_path / "ws", "--interval", "4h", "--channels", "a", "--now", NOW,
            "-o", folder / "ep12.yaml"]
    if failure == "disk full":
        after = tmp_path / "after"
        after.mkdir()
        res = in_namespace(DISK_FULL, folder, after, *cliper_sched(*args))
        why = "No space left on device"
    else:
        after = folder
        res = with_file_size_limit(100, *args)
        why = "File too large"
    assert res.returncode == 1 and "Traceback" not in res.stderr, res.stderr
    assert f"{folder / 'ep12.yaml'}: cannot write the plan ({why})" in res.stderr
    assert "hint: nothing was written;" in res.stderr
    assert (after / "ep12.yaml").read_text(encoding="utf-8") == "# the plan reviewed yesterday\n"
    assert temps(after) == []


@needs_namespaces
@pytest.mark.parametrize("applied_before", [False, True])
def test_apply_in_a_read_only_plan_folder_changes_nothing(sandbox_main, plan, applied_before):
    if applied_before:
        assert run("apply", str(plan), "--auto-approve").exit_code == 0
        plan.doc["posts"][1]["caption"] = "edited in a read-only checkout"
        del plan.doc["posts"][2]  # a delete too: deletes are sent before the first state write
        plan.save()
    old_state = plan.state_path.read_bytes() if applied_before else None
    in_postiz = _contents(sandbox_main)

    res = in_namespace(READ_ONLY, plan.path.parent, *cliper_sched("apply", plan, "--auto-approve"))

    assert res.returncode == 1, res.stdout + res.stderr
    assert "Traceback" not in res.stderr, res.stderr
    assert f"{plan.state_path}: cannot write the state file (Read-only file system)" in res.stderr
    assert "hint: nothing was changed in Postiz; make sure its folder exists and is writable" in res.stderr
    assert _contents(sandbox_main) == in_postiz
    assert (plan.state_path.read_bytes() if plan.state_path.exists() else None) == old_state
    assert temps(plan.path.parent) == []


@needs_namespaces
def test_pull_into_a_read_only_plan_folder_changes_nothing(sandbox_main, plan):
    assert run("apply", str(plan), "--auto-approve").exit_code == 0
    post_id = plan.state()["posts"]["clip-02@x-main"]["post_id"]
    sandbox_main.control("POST", f"posts/{post_id}/dashboard-edit", {"content": "fixed in the dashboard"})
    old_plan, old_state = plan.path.read_bytes(), plan.state_path.read_bytes()

    res = in_namespace(READ_ONLY, plan.path.parent, *cliper_sched("pull", plan))

    assert res.returncode == 1 and "Traceback" not in res.stderr, res.stdout + res.stderr
    assert f"{plan}: cannot write the plan (Read-only file system)" in res.stderr
    assert "hint: the plan file is unchanged; make sure its folder exists and is writable" in res.stderr
    assert (plan.path.read_bytes(), plan.state_path.read_bytes()) == (old_plan, old_state)
    assert temps(plan.path.parent) == []


@needs_namespaces
def test_plan_into_a_read_only_folder_writes_nothing(tmp_path):
    make_workspace(tmp_path / "ws", clips=2)
    folder = tmp_path / "plans"
    folder.mkdir()
    target = folder / "ep12.yaml"
    res = in_namespace(READ_ONLY, folder, *cliper_sched("plan", tmp_path / "ws", "--interval", "4h",
                                                        "--channels", "a", "--now", NOW, "-o", target))
    assert res.returncode == 1 and "Traceback" not in res.stderr, res.stderr
    assert f"{target}: cannot write the plan (Read-only file system)" in res.stderr
    assert list(folder.iterdir()) == []


# A run paused inside the real atomic write (planner.fsutil, as installed), between
# writing its temp file and renaming it into place, as a slow disk pauses one.
WRITER = """
import os, sys
from planner import fsutil
real_fsync = os.fsync
def paused(fd):
    print("writing", flush=True)
    sys.stdin.readline()
    real_fsync(fd)
os.fsync = paused
fsutil.atomic_write_text(sys.argv[1], sys.argv[2])
"""


def start_writer(target: Path, text: str) -> subprocess.Popen:
    python = Path(cliper_sched()[0]).with_name("python")
    writer = subprocess.Popen([str(python), "-c", WRITER, str(target), text], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              cwd=target.parent)  # not the checkout: import what is installed
    assert writer.stdout.readline() == "writing\n", writer.stderr.read()
    return writer


@pytest.mark.parametrize("cleaner", ["same plan, another user's cache", "plan ep[1] beside plan ep1"])
def test_cleanup_never_removes_a_temp_file_a_live_run_is_writing(sandbox_main, tmp_path, cleaner):
    from support.reconcile_helpers import PlanFile, at

    written = PlanFile(tmp_path, name="ep1")
    assert run("apply", str(written), "--auto-approve").exit_code == 0
    if cleaner.startswith("same plan"):
        # Two users on one checkout: each has its own ~/.cache, so its own state lock.
        other, env = written, {"CLIPER_SCHED_CACHE_DIR": str(tmp_path / "other-user-cache")}
    else:
        other, env = PlanFile(tmp_path, name="ep[1]"), {}
        for i, post in enumerate(other.doc["posts"]):
            post["at"] = at(5, 8 + i)  # its own slots: another plan, not a copy of ep1
        other.save()
        assert run("apply", str(other), "--auto-approve").exit_code == 0
    new_state = written.state_path.read_text(encoding="utf-8") + "\n"
    writer = start_writer(written.state_path, new_state)
    try:
        live = temps(written.path.parent)
        assert len(live) == 1

        cleaning = subprocess.run(cliper_sched("pull", other, "--dry-run"), capture_output=True, text=True,
                                  timeout=120, stdin=subprocess.DEVNULL, env={**os.environ, **env})
        assert cleaning.returncode == 0, cleaning.stdout + cleaning.stderr
        assert temps(written.path.parent) == live  # still there: its writer is alive

        out, err = writer.communicate("go\n", timeout=60)
    finally:
        writer.kill()
        writer.communicate()
    assert writer.returncode == 0, err
    assert written.state_path.read_text(encoding="utf-8") == new_state
    assert temps(written.path.parent) == []


def test_cleanup_removes_the_temp_file_of_a_run_that_died(sandbox_main, plan):
    assert run("apply", str(plan), "--auto-approve").exit_code == 0
    old_state = plan.state_path.read_bytes()
    writer = start_writer(plan.state_path, "half of a state fi")
    writer.kill()  # kill -9 mid-write: its temp file stays behind, no longer locked
    writer.communicate()
    assert len(temps(plan.path.parent)) == 1
    res = run("pull", str(plan), "--dry-run")
    assert res.exit_code == 0, res.output + res.error
    assert temps(plan.path.parent) == []
    assert plan.state_path.read_bytes() == old_state
