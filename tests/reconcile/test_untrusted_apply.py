"""A pull request or a misbehaving server cannot hurt the user, end to end against the
sandbox: diff and apply refuse a workspace or media outside what the plan may name
(nothing is uploaded), fail fast on a plan or state file that never ends, and print
what came from a plan or from Postiz with its control characters escaped.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

from support import cli as cli_process
from support.reconcile_helpers import MP4, run

FAST = 20  # seconds: reading /dev/zero or waiting on a FIFO never ends; a refusal is immediate
UPLOAD = "/public/v1/upload"


def watch_uploads(box) -> None:
    """Count upload requests through the sandbox's fault controls (a fault that never fires)."""
    box.controls.add_fault("POST", UPLOAD, "delay", nth=10**9, seconds=0)


def uploads(box) -> int:
    return next(f["seen"] for f in box.controls.faults() if f["path"] == UPLOAD)


@pytest.fixture
def private(tmp_path_factory) -> Path:
    """A folder of the user's outside the plan's folder tree: what a plan must never reach."""
    folder = tmp_path_factory.mktemp("victim") / "Pictures"
    folder.mkdir()
    (folder / "passport.mp4").write_bytes(MP4 + b"passport")
    return folder


def _point_at(plan, folder: Path, how: str) -> None:
    plan.doc["source"]["workspace"] = str(folder) if how == "absolute" else os.path.relpath(folder, plan.path.parent)
    data = (folder / "passport.mp4").read_bytes()
    for post in plan.doc["posts"]:
        post["media"] = {"path": "passport.mp4", "sha256": hashlib.sha256(data).hexdigest()}
    plan.save()


@pytest.mark.parametrize("how", ["relative", "absolute"])
def test_a_plan_naming_a_workspace_outside_is_refused_and_nothing_is_uploaded(sandbox_main, plan, private, how):
    _point_at(plan, private, how)
    watch_uploads(sandbox_main)
    for command in (["validate"], ["diff"], ["apply", "--auto-approve"]):
        result = run(command[0], str(plan), *command[1:])
        assert result.exit_code == 1, (command, result.output, result.error)
        assert f"{plan}:7: source.workspace: " in result.error, result.error
        assert f"{private} is outside {plan.root}, the folder above this plan's folder" in result.error
        assert "hint: " in result.error and "Traceback" not in result.error
    assert uploads(sandbox_main) == 0
    assert sandbox_main.posts() == []


def test_the_user_allows_a_workspace_with_workspace_or_a_trusted_root(sandbox_main, plan, private, monkeypatch,
                                                                     tmp_path):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    _point_at(plan, private, "absolute")
    watch_uploads(sandbox_main)
    allowed = run("diff", str(plan), "--workspace", str(private))
    assert allowed.exit_code == 0, allowed.error
    assert run("apply", str(plan), "--auto-approve").exit_code == 1  # the flag held for that run only
    assert run("trust", str(private.parent)).exit_code == 0
    applied = run("apply", str(plan), "--auto-approve")
    assert applied.exit_code == 0, applied.output + applied.error
    assert uploads(sandbox_main) == 1 and len(sandbox_main.posts()) == 6


def test_media_linked_out_of_the_workspace_is_refused_and_nothing_is_uploaded(sandbox_main, plan, private):
    clip = plan.workspace / "output" / "ep12" / "2.mp4"
    clip.unlink()
    clip.symlink_to(private / "passport.mp4")
    plan.doc["posts"][1]["media"]["sha256"] = hashlib.sha256(clip.read_bytes()).hexdigest()
    plan.save()
    watch_uploads(sandbox_main)
    for command in (["diff"], ["apply", "--auto-approve"]):
        result = run(command[0], str(plan), *command[1:])
        assert result.exit_code == 1, result.output + result.error
        assert "posts[1].media.path: output/ep12/2.mp4 leads outside the workspace" in result.error, result.error
    assert uploads(sandbox_main) == 0
    assert sandbox_main.posts() == []


@pytest.mark.parametrize("command", ["diff", "apply"])
@pytest.mark.parametrize("which, kind", [("plan", "dev-zero"), ("plan", "fifo"),
                                         ("state", "dev-zero"), ("state", "fifo")])
def test_a_plan_or_state_file_that_never_ends_fails_fast(sandbox_main, plan, which, kind, command):
    target = plan.path if which == "plan" else plan.state_path
    target.unlink(missing_ok=True)
    if kind == "fifo":
        os.mkfifo(target)
    else:
        target.symlink_to("/dev/zero")
    extra = ["--auto-approve"] if command == "apply" else []
    result = cli_process.run(command, str(plan), *extra, timeout=FAST)  # TimeoutExpired if it reads or waits
    assert result.exit_code == 1, result.output + result.error
    what = "a FIFO" if kind == "fifo" else "a character device"
    assert f"{target}: the {which} file is {what}, not a regular file: not read" in result.error, result.error
    assert "Traceback" not in result.error
    assert sandbox_main.posts() == []


def _no_controls(text: str) -> None:
    assert "\x1b" not in text and "\r" not in text and "\x9b" not in text, repr(text)


def test_control_characters_from_the_plan_and_from_postiz_are_shown_escaped(sandbox_main, plan):
    name = "\x1b[2K\rtiktok-evil"  # a channel name as a compromised Postiz may send it
    sandbox_main.controls.add_channel("tiktok", name)
    listed = run("channels")
    assert listed.exit_code == 0, listed.error
    _no_controls(listed.output)
    assert "\\x1b[2K\\rtiktok-evil" in listed.output
    plan.doc["posts"] = plan.doc["posts"][:1]
    plan.doc["posts"][0]["channels"] = [name]
    plan.doc["posts"][0]["caption"] = "Clip 1 \x1b[2K\x9b1A\rApply complete! 9 added, 0 changed, 0 destroyed."
    plan.save()
    diff = run("diff", str(plan))
    assert diff.exit_code == 0, diff.error
    _no_controls(diff.output + diff.error)
    assert "+ clip-01@\\x1b[2K\\rtiktok-evil  (\\x1b[2K\\rtiktok-evil, tiktok; new in the plan)" in diff.output
    assert "\\x9b1A" in diff.output
    applied = run("apply", str(plan), "--auto-approve")
    assert applied.exit_code == 0, applied.output + applied.error
    _no_controls(applied.output + applied.error)
    assert "+ clip-01@\\x1b[2K\\rtiktok-evil: created" in applied.output


def test_a_postiz_message_in_the_apply_summary_is_shown_escaped(capsys):
    from planner.commands import views
    from planner.reconcile.executor import Failure, Result

    result = Result()
    result.failures.append(Failure("clip-01@x-main", "x-main", "x", "bad\x1b[2K\r\nApply complete! 9 added"))
    views.apply_summary(result, "plans/ep12.yaml", had_changes=True)
    out = capsys.readouterr().out
    _no_controls(out)
    assert "bad\\x1b[2K\\r\\nApply complete! 9 added" in out
    assert "\nApply complete!" not in out


def test_a_postiz_error_cannot_add_lines_of_its_own():
    from planner.cli import _rendered
    from planner.postiz.errors import ServerError

    text = _rendered(ServerError("Postiz said: boom\x1b[2K\n\rApply complete! 9 added", hint="try again\nlater"))
    assert text == "Postiz said: boom\\x1b[2K\\n\\rApply complete! 9 added\n  hint: try again\nlater"


@pytest.mark.parametrize("raw, shown", [
    ("plain text, ñ 😀 \\x1b stays", "plain text, ñ 😀 \\x1b stays"),
    ("\x1b[31mred\x1b[0m", "\\x1b[31mred\\x1b[0m"),
    ("a\rb\nc\td\x00e\x7ff", "a\\rb\\nc\\td\\x00e\\x7ff"),
    ("\x9b2K C1 CSI, \x85 NEL", "\\x9b2K C1 CSI, \\x85 NEL"),
    ("\u202egnp.exe\u2066x\u2069", "\\u202egnp.exe\\u2066x\\u2069"),
])
def test_control_characters_are_written_as_escapes(raw, shown):
    from planner.term import safe

    assert safe(raw) == shown
    assert safe("line 1\nline 2\tx\x1b", multiline=True) == "line 1\nline 2\tx\\x1b"


def test_json_output_carries_no_terminal_control_character(sandbox_main, plan):
    """--json keeps Unicode readable but escapes what a terminal would act on (C1, bidi)."""
    plan.doc["posts"][0]["caption"] = "ok \u009b2J \u202eevil\u202c 😀 \x1b[31m"
    plan.save()
    result = run("diff", str(plan), "--json")
    assert result.exit_code == 0, result.error
    assert not any(ch in result.output for ch in "\x1b\u009b\u202e\u202c")
    assert "😀" in result.output and "\\u009b" in result.output and "\\u202e" in result.output
    assert json.loads(result.output)  # still JSON
