"""--exclude-clip N and `exclude:` leave a damaged clip out without touching CLIPER's files."""

from __future__ import annotations

import hashlib
import json

import yaml

from support.workspaces import make_workspace

ARGS = ("--start", "2026-12-01 09:00", "--interval", "4h", "--channels", "a")


def digest_tree(root) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def test_a_damaged_clip_stops_the_plan_until_it_is_excluded(tmp_path, cli):
    ws = make_workspace(tmp_path / "ws", clips=4)
    ws.clips[3].write_bytes(b"")
    before = digest_tree(tmp_path / "ws")
    res = cli("plan", tmp_path / "ws", *ARGS)
    assert res.code == 1 and "clip 3: the video file is empty" in res.err
    assert "--exclude-clip 3" in res.err  # the hint says how
    res = cli("plan", tmp_path / "ws", *ARGS, "--exclude-clip", "3")
    assert res.code == 0, res.err
    assert [p["clip"] for p in yaml.safe_load(res.out)["posts"]] == [1, 2, 4]
    assert f"{ws.video_dir}: clip 3 left out (--exclude-clip 3)" in res.err
    assert "# made by: cliper-sched plan" in res.out and "--exclude-clip 3" in res.out
    assert digest_tree(tmp_path / "ws") == before  # CLIPER's files untouched


def test_exclude_in_rules_and_flags_add_up(tmp_path, cli):
    make_workspace(tmp_path / "ws", clips=5)
    rules = tmp_path / "rules.yaml"
    rules.write_text("exclude: [2]\nchannels: {a: {}}\n", encoding="utf-8")
    res = cli("plan", tmp_path / "ws", "--rules", rules, "--interval", "4h", "--exclude-clip", "4")
    assert res.code == 0, res.err
    assert [p["clip"] for p in yaml.safe_load(res.out)["posts"]] == [1, 3, 5]
    assert f"clip 2 left out (`exclude` in {rules})" in res.err


def test_an_excluded_clip_with_a_broken_caption_entry_does_not_stop_the_plan(tmp_path, cli):
    ws = make_workspace(tmp_path / "ws", clips=3)
    doc = json.loads(ws.copys.read_text(encoding="utf-8"))
    doc["clips"].append(dict(doc["clips"][1]))  # clip 2 listed twice
    ws.copys.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    assert "clip 2 appears twice" in cli("plan", tmp_path / "ws", *ARGS).err
    res = cli("plan", tmp_path / "ws", *ARGS, "--exclude-clip", "2")
    assert res.code == 0, res.err
    assert [p["clip"] for p in yaml.safe_load(res.out)["posts"]] == [1, 3]


def test_an_excluded_clip_the_video_lacks_is_an_error(tmp_path, cli):
    make_workspace(tmp_path / "ws", clips=[1, 2, 3, 5])
    out = tmp_path / "plan.yaml"
    res = cli("plan", tmp_path / "ws", *ARGS, "--exclude-clip", "4", "-o", out)
    assert res.code == 1 and not out.exists()
    assert "--exclude-clip 4: clip 4 is to be left out, but video" in res.err
    assert "hint: this video has clips 1-3, 5; check the number" in res.err
    rules = tmp_path / "rules.yaml"
    rules.write_text("channels: {a: {}}\nexclude: [9]\n", encoding="utf-8")
    res = cli("plan", tmp_path / "ws", "--rules", rules, "--interval", "4h")
    assert res.code == 1 and f"{rules}:2: exclude: clip 9 is to be left out" in res.err


def test_exclude_in_rules_is_checked_by_the_schema(tmp_path, cli):
    make_workspace(tmp_path / "ws", clips=2)
    rules = tmp_path / "rules.yaml"
    rules.write_text("channels: {a: {}}\nexclude: [0, two]\n", encoding="utf-8")
    res = cli("plan", tmp_path / "ws", "--rules", rules, "--interval", "4h")
    assert res.code == 1 and f"{rules}:2: exclude" in res.err and "Traceback" not in res.err
    res = cli("plan", tmp_path / "ws", *ARGS, "--exclude-clip", "0")
    assert res.code == 1 and "Invalid value for '--exclude-clip': 0 is not in the range x>=1" in res.err
