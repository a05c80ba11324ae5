"""A plan, a rules file or a CLIPER workspace that arrives in a pull request cannot
hurt the user who runs `plan` or `validate` on it (offline side; the Postiz side is
tests/reconcile/test_untrusted_apply.py):

- a plan names a workspace inside its own git repository (or, outside git, under its
  folder's parent) and media inside that workspace, after following symbolic links;
  anything else needs the user's word outside the plan (--workspace, CLIPER_WORKSPACE,
  `cliper-sched trust DIR`);
- a clip that is a link to a file outside the workspace is never planned;
- every media item carries its sha256;
- /dev/zero, a FIFO or a huge file in place of a plan, rules or captions file is
  refused at once, unread;
- control characters in what a plan or a workspace holds are printed escaped.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest
import yaml

from support import cli as cli_process
from support.workspaces import DEFAULT_VIDEO, make_workspace, mp4_bytes

NOW = "2026-11-26T00:00:00+00:00"
FLAGS = ("--start", "2026-12-01 09:00", "--interval", "4h", "--channels", "tiktok-main",
         "--timezone", "America/Mexico_City")
# Enough of a JPEG for Postiz's (and validate's) content sniffing.
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 64 + b"\xff\xd9"
FAST = 20  # seconds: a read of /dev/zero or a FIFO never ends; a refusal takes well under this


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def write_plan(path: Path, workspace: str, media: str, digest: str, *, caption: str = "Hola #clip",
               extra: str = "") -> Path:
    """A one-post plan; `source.workspace` is on line 5, `posts[0].media.path` on line 11."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "version: 1\nname: ep12\ntimezone: America/Mexico_City\nsource:\n"
        f"  workspace: {yaml.safe_dump(workspace).splitlines()[0]}\n"
        "posts:\n  - key: clip-01\n    clip: 1\n    media:\n"
        f"      # the file reviewers saw\n      path: {media}\n      sha256: {digest}\n"
        f"    caption: {yaml.safe_dump(caption, allow_unicode=True).splitlines()[0]}\n"
        '    at: "2026-12-01T09:00:00-06:00"\n    channels: [tiktok-main]\n' + extra,
        encoding="utf-8")
    return path


@pytest.fixture
def victim(tmp_path) -> Path:
    """A private folder of the user's, outside any plan's repository."""
    pictures = tmp_path / "home" / "victim" / "Pictures"
    pictures.mkdir(parents=True)
    (pictures / "passport.jpg").write_bytes(JPEG)
    return pictures


@pytest.fixture
def repo(tmp_path) -> Path:
    """A git working tree (a `.git` entry is all that marks one)."""
    (tmp_path / "repo" / ".git").mkdir(parents=True)
    return tmp_path / "repo"


@pytest.fixture(autouse=True)
def _own_config(tmp_path, monkeypatch):
    """Trusted workspaces are read from here, never from the real ~/.config."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))


# --- 1. the workspace a plan names ---------------------------------------------------------


@pytest.mark.parametrize("how", ["relative", "absolute"])
def test_a_plan_cannot_name_a_workspace_outside_its_repository(cli, repo, victim, how):
    workspace = "../../home/victim/Pictures" if how == "relative" else str(victim)
    plan = write_plan(repo / "plans" / "ep12.yaml", workspace, "passport.jpg", sha(JPEG))
    res = cli("validate", plan)
    assert res.code == 1, res.err
    assert f"{plan}:5: source.workspace: " in res.err, res.err
    assert f"{victim} is outside the git repository holding this plan ({repo})" in res.err, res.err
    assert "hint: " in res.err and "--workspace" in res.err and "cliper-sched trust" in res.err
    assert "Traceback" not in res.err


def test_outside_git_the_workspace_stays_under_the_plan_folders_parent(cli, tmp_path):
    make_workspace(tmp_path / "elsewhere" / "ws", clips=1)
    clip = f"output/{DEFAULT_VIDEO}/1.mp4"
    digest = sha(mp4_bytes(f"{DEFAULT_VIDEO}/1"))
    far = write_plan(tmp_path / "project" / "plans" / "ep12.yaml", "../../elsewhere/ws", clip, digest)
    res = cli("validate", far)
    assert res.code == 1
    assert f"{far}:5: source.workspace: " in res.err
    assert f"is outside {tmp_path / 'project'}, the folder above this plan's folder" in res.err, res.err
    near = write_plan(tmp_path / "elsewhere" / "plans" / "ep12.yaml", "../ws", clip, digest)
    assert cli("validate", near).code == 0


def test_a_workspace_linked_out_of_the_repository_is_refused(cli, repo, victim):
    (repo / "ws").symlink_to(victim, target_is_directory=True)  # committed as a link
    plan = write_plan(repo / "plans" / "ep12.yaml", "../ws", "passport.jpg", sha(JPEG))
    res = cli("validate", plan)
    assert res.code == 1
    assert f"{plan}:5: source.workspace: ../ws resolves to {victim}, outside the git repository" in res.err, res.err


def test_the_user_can_allow_a_workspace_outside_the_plan(cli, repo, victim, monkeypatch, tmp_path):
    plan = write_plan(repo / "plans" / "ep12.yaml", str(victim), "passport.jpg", sha(JPEG))
    assert cli("validate", plan).code == 1
    # Typed on the command line, or in the environment: the user said so.
    assert cli("validate", plan, "--workspace", victim).code == 0
    monkeypatch.setenv("CLIPER_WORKSPACE", str(victim))
    assert cli("validate", plan).code == 0
    monkeypatch.delenv("CLIPER_WORKSPACE")
    # Once and for all, in the user's own configuration (never in a plan).
    trusted = cli_process.run("trust", victim.parent)
    assert trusted.exit_code == 0, trusted.error
    listed = tmp_path / "config" / "cliper-sched" / "trusted-workspaces"
    assert str(victim.parent) in listed.read_text("utf-8").splitlines()
    assert str(victim.parent) in cli_process.run("trust", "--list").output
    checked = cli("validate", plan)
    assert checked.code == 0, checked.err
    assert cli_process.run("trust", "--remove", victim.parent).exit_code == 0
    assert cli("validate", plan).code == 1


def test_a_trusted_workspaces_file_with_a_relative_path_is_an_error(cli, repo, victim, tmp_path):
    listed = tmp_path / "config" / "cliper-sched" / "trusted-workspaces"
    listed.parent.mkdir(parents=True)
    listed.write_text("# mine\n\nhome/victim\n", encoding="utf-8")
    plan = write_plan(repo / "plans" / "ep12.yaml", str(victim), "passport.jpg", sha(JPEG))
    res = cli("validate", plan)
    assert res.code == 1
    assert f"{listed}:3: " in res.err and "absolute path" in res.err, res.err


def test_trust_refuses_what_is_not_a_folder(tmp_path):
    res = cli_process.run("trust", tmp_path / "nothing-here")
    assert res.exit_code == 1 and "no such folder" in res.error
    assert not (tmp_path / "config" / "cliper-sched" / "trusted-workspaces").exists()


# --- 1/2. media inside the workspace, after following links ---------------------------------


def test_media_linked_out_of_the_workspace_is_refused(cli, repo, tmp_path):
    ws = make_workspace(repo / "ws", clips=2)
    private = tmp_path / "private" / "holiday.mp4"
    private.parent.mkdir()
    private.write_bytes(mp4_bytes("private"))
    ws.clips[2].unlink()
    ws.clips[2].symlink_to(private)  # what a pull request can add to a workspace in git
    plan = write_plan(repo / "plans" / "ep12.yaml", "../ws", f"output/{DEFAULT_VIDEO}/2.mp4",
                      sha(private.read_bytes()))
    res = cli("validate", plan)
    assert res.code == 1
    assert f"{plan}:11: posts[0].media.path: output/{DEFAULT_VIDEO}/2.mp4 leads outside the workspace" in res.err, res.err
    # A link that stays inside the workspace is fine.
    inside = repo / "ws" / "raw" / "2.mp4"
    inside.parent.mkdir()
    inside.write_bytes(mp4_bytes("inside"))
    ws.clips[2].unlink()
    ws.clips[2].symlink_to(Path("..", "..", "raw", "2.mp4"))
    write_plan(plan, "../ws", f"output/{DEFAULT_VIDEO}/2.mp4", sha(inside.read_bytes()))
    ok = cli("validate", plan)
    assert ok.code == 0, ok.err


def test_plan_refuses_a_clip_linked_from_outside_the_workspace(cli, tmp_path):
    ws = make_workspace(tmp_path / "ws", clips=3)
    private = tmp_path / "private.mp4"
    private.write_bytes(mp4_bytes("private"))
    ws.clips[3].unlink()
    ws.clips[3].symlink_to(private)
    out = tmp_path / "plans" / "ep12.yaml"
    res = cli("plan", ws.root, *FLAGS, "-o", out)
    assert res.code == 1
    assert f"{ws.clips[3]}: clip 3: the video is a link to a file outside the workspace" in res.err, res.err
    assert not out.exists()


def test_plan_takes_a_clip_linked_inside_the_workspace(cli, tmp_path):
    ws = make_workspace(tmp_path / "ws", clips=2)
    target = ws.root / "renders" / "final-2.mp4"
    target.parent.mkdir()
    target.write_bytes(ws.clips[2].read_bytes())
    ws.clips[2].unlink()
    ws.clips[2].symlink_to(target)
    res = cli("plan", ws.root, *FLAGS)
    assert res.code == 0, res.err
    media = yaml.safe_load(res.out)["posts"][1]["media"]
    assert media == {"path": f"output/{DEFAULT_VIDEO}/2.mp4", "sha256": sha(target.read_bytes())}


def test_plan_refuses_captions_linked_from_outside_the_workspace(cli, tmp_path):
    ws = make_workspace(tmp_path / "ws", clips=2)
    notes = tmp_path / "private-notes.json"
    notes.write_bytes(ws.copys.read_bytes())
    ws.copys.unlink()
    ws.copys.symlink_to(notes)
    res = cli("plan", ws.root, *FLAGS)
    assert res.code == 1
    assert f"{ws.copys}: the captions file is a link to a file outside the workspace" in res.err, res.err


def test_plan_says_when_the_workspace_will_need_trust(cli, repo, tmp_path):
    ws = make_workspace(tmp_path / "cliper", clips=1)
    res = cli("plan", ws.root, *FLAGS, "-o", repo / "plans" / "ep12.yaml")
    assert res.code == 0, res.err
    assert f"the workspace {ws.root} is outside the git repository holding this plan ({repo})" in res.err, res.err
    assert f"cliper-sched trust {ws.root}" in res.err
    inside = make_workspace(repo / "cliper", clips=1)
    quiet = cli("plan", inside.root, *FLAGS, "-o", repo / "plans" / "ep13.yaml")
    assert quiet.code == 0 and "trust" not in quiet.err


# --- 3. sha256 is required -------------------------------------------------------------------


def test_media_without_sha256_is_an_error(cli, tmp_path):
    ws = make_workspace(tmp_path / "ws", clips=1)
    plan = write_plan(tmp_path / "plans" / "ep12.yaml", "../ws", f"output/{DEFAULT_VIDEO}/1.mp4", "x")
    text = plan.read_text("utf-8").replace("      sha256: x\n", "")
    plan.write_text(text, encoding="utf-8")
    res = cli("validate", plan)
    assert res.code == 1
    assert f"{plan}:9: posts[0].media: missing field 'sha256'" in res.err, res.err
    assert "hint: run `cliper-sched plan` again, or put the file's sha256" in res.err
    assert ws.clips[1].is_file()


# --- 5. unbounded reads ----------------------------------------------------------------------


def _fast(*args) -> cli_process.Result:
    return cli_process.run(*map(str, args), "--now", NOW, timeout=FAST)


@pytest.mark.parametrize("kind", ["dev-zero", "dev-urandom", "fifo"])
def test_a_plan_that_never_ends_is_refused_at_once(tmp_path, kind):
    plan = tmp_path / "plans" / "ep12.yaml"
    plan.parent.mkdir()
    if kind == "fifo":
        os.mkfifo(plan)
    else:
        plan.symlink_to("/dev/zero" if kind == "dev-zero" else "/dev/urandom")
    res = _fast("validate", plan)  # TimeoutExpired if it reads or waits
    assert res.exit_code == 1
    what = "a FIFO" if kind == "fifo" else "a character device"
    assert f"{plan}: the plan file is {what}, not a regular file: not read" in res.error, res.error
    assert "Traceback" not in res.error


def test_a_plan_over_the_size_cap_is_refused_unread(tmp_path):
    from planner.fsutil import PLAN_MAX_BYTES

    plan = tmp_path / "ep12.yaml"
    with open(plan, "wb") as fh:
        fh.truncate(PLAN_MAX_BYTES + 1)  # sparse: costs no disk
    res = _fast("validate", plan)
    assert res.exit_code == 1
    assert f"{plan}: the plan file is larger than 16 MiB, the limit for a plan file: not read" in res.error, res.error


@pytest.mark.parametrize("kind", ["dev-zero", "fifo"])
def test_a_rules_file_that_never_ends_is_refused_at_once(tmp_path, kind):
    make_workspace(tmp_path / "ws", clips=1)
    rules = tmp_path / "rules.yaml"
    if kind == "fifo":
        os.mkfifo(rules)
    else:
        rules.symlink_to("/dev/zero")
    res = _fast("plan", tmp_path / "ws", "--rules", rules)
    assert res.exit_code == 1
    assert f"{rules}: the rules file is a" in res.error and "not a regular file: not read" in res.error, res.error


def test_a_captions_file_that_is_a_fifo_is_refused_at_once(tmp_path):
    ws = make_workspace(tmp_path / "ws", clips=1)
    ws.copys.unlink()
    os.mkfifo(ws.copys)
    res = _fast("plan", ws.root, *FLAGS)
    assert res.exit_code == 1
    assert f"{ws.copys}: the captions file is a FIFO, not a regular file: not read" in res.error, res.error


def test_a_clip_that_is_a_fifo_is_refused_at_once(tmp_path):
    ws = make_workspace(tmp_path / "ws", clips=2)
    ws.clips[2].unlink()
    os.mkfifo(ws.clips[2])
    res = _fast("plan", ws.root, *FLAGS)
    assert res.exit_code == 1
    assert f"{ws.clips[2]}: clip 2: the video is a FIFO, not a regular file" in res.error, res.error


# --- 6. control characters are shown escaped --------------------------------------------------


def _no_controls(text: str) -> None:
    assert "\x1b" not in text and "\r" not in text and "\x9b" not in text, repr(text)


def test_a_plan_quoted_in_an_error_is_shown_escaped(cli, tmp_path):
    make_workspace(tmp_path / "ws", clips=1)
    evil = "\x1b[2K\rApply complete! 9 added"
    plan = write_plan(tmp_path / "plans" / "ep12.yaml", "../ws", f"output/{DEFAULT_VIDEO}/1.mp4",
                      sha(mp4_bytes(f"{DEFAULT_VIDEO}/1")),
                      extra=f'    overrides:\n      "{evil.encode("unicode_escape").decode()}": {{caption: x}}\n')
    res = cli("validate", plan)
    assert res.code == 1
    _no_controls(res.out + res.err)
    assert "'\\x1b[2K\\rApply complete! 9 added' is not in this post's channels" in res.err, res.err


def test_workspace_names_in_warnings_are_shown_escaped(cli, tmp_path):
    ws = make_workspace(tmp_path / "ws", clips=2)
    (ws.video_dir / "\x1b[2K\rfake.mp4").write_bytes(mp4_bytes("odd"))
    res = cli("plan", ws.root, *FLAGS)
    assert res.code == 0, res.err
    _no_controls(res.err)
    assert "\\x1b[2K\\rfake.mp4: not a CLIPER clip name" in res.err, res.err


def test_plan_header_never_carries_control_characters(cli, tmp_path):
    video = "Ep \x1b[31m1\x1b[0m_AbCdEfGhIjK"
    ws = make_workspace(tmp_path / "ws", clips=1, video_id=video)
    res = cli("plan", ws.root, *FLAGS)
    assert res.code == 0, res.err
    header = res.out.split("\nversion: 1")[0]
    _no_controls(header)
    assert yaml.safe_load(res.out)["source"]["video"] == video  # the data itself is kept, quoted
