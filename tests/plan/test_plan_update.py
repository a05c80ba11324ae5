"""`plan --update`: CLIPER's new output merged into a hand-edited plan, three ways.

Every test runs the installed `cliper-sched` on a CLIPER workspace built on disk,
edits the plan and the workspace the way a user and CLIPER do, and checks the
plan file byte for byte: what must change changed, and nothing else did.
"""

from __future__ import annotations

import difflib
import json
import re
from pathlib import Path

import yaml

from support.workspaces import make_workspace, mp4_bytes

RULES = """\
version: 1
timezone: America/Mexico_City
start: "2026-12-01 09:00"
interval: 4h
max_per_day: 3
channels:
  tiktok-main: {}
  youtube-shorts:
    provider: youtube
    settings: {type: public}
    settings_templates:
      title: "{title:60} | Demo"
"""


def _setup(tmp_path: Path, cli, clips: int = 4):
    ws = make_workspace(tmp_path / "cliper", clips=clips)
    rules = tmp_path / "rules.yaml"
    rules.write_text(RULES, encoding="utf-8")
    plan = tmp_path / "plans" / "ep1.yaml"
    plan.parent.mkdir()
    r = cli("plan", ws.root, "--rules", rules, "--name", "ep1", "-o", plan)
    assert r.code == 0, r.err
    return ws, plan


def _set_captions(ws, captions: dict[int, str], add: int | None = None) -> None:
    """What CLIPER does when re-run: captions rewritten, a clip added."""
    doc = json.loads(ws.copys.read_text(encoding="utf-8"))
    for entry in doc["clips"]:
        if entry["clip_id"] in captions:
            entry["copy"] = captions[entry["clip_id"]]
    if add is not None:
        doc["clips"].append({**doc["clips"][0], "clip_id": add, "copy": f"Clip nuevo {add} #Nuevo"})
        (ws.video_dir / f"{add}.mp4").write_bytes(mp4_bytes(f"re-run/{add}"))
    ws.copys.write_text(json.dumps(doc, indent=2, ensure_ascii=False), encoding="utf-8")


def _edit_caption(plan: Path, old: str, new: str, comment: str = "") -> None:
    text = plan.read_text(encoding="utf-8")
    line = f'  caption: "{old}"\n'
    assert text.count(line) == 1
    plan.write_text(text.replace(line, f'  caption: "{new}"{comment}\n'), encoding="utf-8")


def _posts(plan: Path) -> dict[str, dict]:
    return {p["key"]: p for p in yaml.safe_load(plan.read_text(encoding="utf-8"))["posts"]}


def _changed_lines(before: str, after: str) -> tuple[list[str], list[str]]:
    """(removed, added) lines, as `git diff` shows them."""
    removed, added = [], []
    for line in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0):
        if line.startswith(("---", "+++", "@@")):
            continue
        (removed if line.startswith("-") else added).append(line[1:])
    return removed, added


def test_update_keeps_hand_edits_takes_cliper_changes_adds_clip_and_reports_conflict(tmp_path, cli):
    ws, plan = _setup(tmp_path, cli)
    fresh = _posts(plan)
    # By hand: clip 3's caption (with a comment), and clip 4's, which CLIPER changes too.
    _edit_caption(plan, ws.captions[3], "Mi propio texto para el clip 3", "  # edited by hand")
    _edit_caption(plan, ws.captions[4], "Mi versión del clip 4")
    before = plan.read_text(encoding="utf-8")
    # CLIPER re-run: clip 2 and clip 4 re-captioned, clip 5 added.
    _set_captions(ws, {2: "CLIPER reescribió el clip 2 #Nuevo", 4: "CLIPER reescribió el clip 4"}, add=5)

    r = cli("plan", "--update", plan)

    assert r.code == 0, r.err
    after = plan.read_text(encoding="utf-8")
    posts = _posts(plan)
    assert posts["clip-03"]["caption"] == "Mi propio texto para el clip 3"  # the hand edit is kept
    assert posts["clip-02"]["caption"] == "CLIPER reescribió el clip 2 #Nuevo"  # CLIPER's change comes in
    assert posts["clip-04"]["caption"] == "Mi versión del clip 4"  # both changed it: yours is kept
    assert posts["clip-05"]["caption"] == "Clip nuevo 5 #Nuevo"
    # Templated titles follow the merged caption, on every post whose caption changed.
    assert posts["clip-02"]["overrides"]["youtube-shorts"]["settings"]["title"] == "CLIPER reescribió el clip 2 | Demo"
    assert posts["clip-03"]["overrides"]["youtube-shorts"]["settings"]["title"] == "Mi propio texto para el clip 3 | Demo"
    # The new clip takes the next slot of the cadence after the last post: where a
    # 5-clip plan made from scratch would have put it; nobody else moved.
    assert posts["clip-05"]["at"] == "2026-12-02T05:00:00-06:00"
    assert [posts[k]["at"] for k in fresh] == [p["at"] for p in fresh.values()]

    # The conflict: file:line of clip-04's caption in the written plan, and both versions.
    line = next(i for i, text in enumerate(after.splitlines(), 1) if "Mi versión del clip 4" in text)
    assert re.search(rf"{re.escape(str(plan))}:{line}: posts\[3\]\.caption: conflict: clip-04: caption", r.err), r.err
    assert 'yours:  "Mi versión del clip 4"' in r.err
    assert 'CLIPER: "CLIPER reescribió el clip 4"' in r.err
    assert r.err.count("conflict") == 2  # the line, and the summary
    assert "1 added, 3 updated, 0 removed, 1 conflict(s), yours kept" in r.err

    # Nothing else changed (what `git diff` would show): the two summary lines of the
    # header, clip 2's caption and the titles that follow captions, clip 5, the base.
    removed, added = _changed_lines(before, after)
    base_lines = [line for line in removed if line.startswith("  clip-0")]
    assert sorted(set(removed) - set(base_lines)) == sorted([
        next(t for t in before.splitlines() if t.startswith("# cliper-sched plan 'ep1': 4 posts")),
        next(t for t in before.splitlines() if t.startswith("# first post")),
        f'  caption: "{ws.captions[2]}"',
        f'        title: "{fresh["clip-02"]["overrides"]["youtube-shorts"]["settings"]["title"]}"',
        f'        title: "{fresh["clip-03"]["overrides"]["youtube-shorts"]["settings"]["title"]}"',
        f'        title: "{fresh["clip-04"]["overrides"]["youtube-shorts"]["settings"]["title"]}"',
    ])
    assert sorted(line.split(":")[0] for line in base_lines) == ["  clip-02", "  clip-03", "  clip-04"]
    assert '  caption: "Mi propio texto para el clip 3"  # edited by hand' in after  # comment kept
    new_block = [line for line in added if line.startswith(("- key: clip-05", "  clip: 5"))]
    assert len(new_block) == 2
    assert "# cliper-sched plan 'ep1': 5 posts" in after

    r = cli("validate", plan)
    assert r.code == 0, r.out + r.err
    assert "0 error(s), 0 warning(s)" in r.out

    # Deterministic and settled: a second update changes no byte and reports no conflict again.
    r = cli("plan", "--update", plan)
    assert r.code == 0, r.err
    assert plan.read_text(encoding="utf-8") == after
    assert "conflict" not in r.err and "nothing changed" in r.err


def test_dropped_clip_removed_unless_edited_and_deleted_post_stays_deleted(tmp_path, cli):
    ws, plan = _setup(tmp_path, cli, clips=5)
    _edit_caption(plan, ws.captions[2], "Lo edité a mano")
    text = plan.read_text(encoding="utf-8")
    start, end = text.index("- key: clip-04"), text.index("- key: clip-05")
    plan.write_text(text[:start] + text[end:], encoding="utf-8")  # clip-04 deleted by hand
    # CLIPER dropped clips 1 and 2, and re-captioned the deleted clip 4.
    doc = json.loads(ws.copys.read_text(encoding="utf-8"))
    doc["clips"] = [c for c in doc["clips"] if c["clip_id"] not in (1, 2)]
    ws.copys.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    ws.clips[1].unlink()
    ws.clips[2].unlink()
    _set_captions(ws, {4: "Nuevo texto del 4"})

    r = cli("plan", "--update", plan)

    assert r.code == 0, r.err
    assert list(_posts(plan)) == ["clip-02", "clip-03", "clip-05"]  # 1 removed; 2 edited: kept; 4 stays deleted
    assert "clip-01: CLIPER has no clip 1 any more: removed" in r.err
    assert "clip-02: CLIPER has no clip 2 any more, but you edited this post (caption): kept" in r.err
    assert "clip-04: you deleted this post and CLIPER changed its clip since: it stays deleted" in r.err
    again = plan.read_text(encoding="utf-8")
    assert cli("plan", "--update", plan).code == 0
    assert plan.read_text(encoding="utf-8") == again


def test_posts_in_the_past_never_change(tmp_path, cli):
    ws, plan = _setup(tmp_path, cli)
    before = plan.read_text(encoding="utf-8")
    _set_captions(ws, {1: "CLIPER cambió el clip 1"})
    later = "2026-12-01T16:00:00+00:00"  # clip-01 (09:00 -06:00) went out an hour ago

    r = cli("plan", "--update", plan, now=later)

    assert r.code == 0, r.err
    assert _posts(plan)["clip-01"]["caption"] == ws.captions[1]
    assert "clip-01: its time has passed (published, presumably)" in r.err
    removed, _ = _changed_lines(before, plan.read_text(encoding="utf-8"))
    assert all(line.startswith("  clip-01:") for line in removed)  # only its base moved on


def test_validate_warns_when_a_templated_override_lags_a_hand_edited_caption(tmp_path, cli):
    ws, plan = _setup(tmp_path, cli)
    _edit_caption(plan, ws.captions[2], "Texto nuevo a mano")
    line = next(i for i, t in enumerate(plan.read_text(encoding="utf-8").splitlines(), 1)
                if "Texto nuevo a mano" in t) + 3  # clip-02's `overrides:` (media, at, channels between)

    r = cli("validate", plan)

    assert r.code == 0, r.out + r.err
    assert f"{plan}:{line}: posts[1].overrides: the caption was edited after these overrides (youtube-shorts)" in r.out + r.err
    assert "plan --update" in r.out + r.err
    assert cli("plan", "--update", plan).code == 0
    assert _posts(plan)["clip-02"]["overrides"]["youtube-shorts"]["settings"]["title"] == "Texto nuevo a mano | Demo"
    r = cli("validate", plan)
    assert "0 warning(s)" in r.out, r.out + r.err


def test_plan_without_base_merges_two_ways_and_records_one(tmp_path, cli):
    ws, plan = _setup(tmp_path, cli)
    text = plan.read_text(encoding="utf-8")
    plan.write_text(text[: text.index("\ngenerated:")] + "\n", encoding="utf-8")  # a plan from before bases
    _edit_caption(plan, ws.captions[1], "Editado antes de la base")
    _set_captions(ws, {2: "CLIPER cambió el 2"})

    r = cli("plan", "--update", plan)

    assert r.code == 0, r.err
    assert "has no `generated:` section" in r.err
    posts = _posts(plan)
    assert posts["clip-01"]["caption"] == "Editado antes de la base"
    assert posts["clip-02"]["caption"] == ws.captions[2]  # no base: a difference is yours, kept
    assert 'CLIPER: "CLIPER cambió el 2"' in r.err
    assert set(yaml.safe_load(plan.read_text(encoding="utf-8"))["generated"]) == set(posts)
    # From now on it is three ways: CLIPER's next change to clip 3 comes in.
    _set_captions(ws, {3: "CLIPER cambió el 3"})
    assert cli("plan", "--update", plan).code == 0
    assert _posts(plan)["clip-03"]["caption"] == "CLIPER cambió el 3"


def test_update_errors_are_clear_and_write_nothing(tmp_path, cli):
    ws, plan = _setup(tmp_path, cli)
    r = cli("plan", "--update", tmp_path / "plans" / "missing.yaml")
    assert r.code == 1 and "Traceback" not in r.err
    assert "missing.yaml" in r.err
    before = plan.read_bytes()
    (tmp_path / "rules.yaml").unlink()  # the rules the header names are gone
    r = cli("plan", "--update", plan)
    assert r.code == 1 and "Traceback" not in r.err
    assert "rules file" in r.err and "--rules" in r.err
    assert plan.read_bytes() == before


def test_a_dropped_clip_whose_post_was_made_a_draft_is_kept(tmp_path, cli):
    # `status: draft` and a per-channel time are hand edits too, though no digest covers them.
    ws, plan = _setup(tmp_path, cli, clips=3)
    text = plan.read_text(encoding="utf-8")
    start = text.index("- key: clip-01")
    line_end = text.index("\n", start)
    plan.write_text(text[:line_end + 1] + "  status: draft\n" + text[line_end + 1:], encoding="utf-8")
    assert cli("validate", plan).code == 0
    doc = json.loads(ws.copys.read_text(encoding="utf-8"))
    doc["clips"] = [c for c in doc["clips"] if c["clip_id"] != 1]
    ws.copys.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    ws.clips[1].unlink()

    r = cli("plan", "--update", plan)

    assert r.code == 0, r.err
    assert "clip-01" in _posts(plan) and _posts(plan)["clip-01"]["status"] == "draft"
    assert "clip-01: CLIPER has no clip 1 any more, but you edited this post (status): kept" in r.err


def test_update_keeps_new_clips_clear_of_the_other_plans_in_the_folder(tmp_path, cli):
    # ep2 was planned after ep1 into the same folder, so it took the slots after ep1's last
    # post; a clip added to ep1 must not land on one of them, nor break the daily cap.
    ws, plan = _setup(tmp_path, cli, clips=3)
    ws2 = make_workspace(tmp_path / "cliper2", clips=3)
    ep2 = plan.parent / "ep2.yaml"
    r = cli("plan", ws2.root, "--rules", tmp_path / "rules.yaml", "--name", "ep2", "-o", ep2)
    assert r.code == 0, r.err
    _set_captions(ws, {}, add=4)

    r = cli("plan", "--update", plan)

    assert r.code == 0, r.err
    assert "clip-04" in _posts(plan)
    checked = cli("validate", plan.parent)
    assert checked.code == 0, checked.err  # no minute twice on a channel, no day over 3
    taken = {post["at"] for post in _posts(ep2).values()}
    assert _posts(plan)["clip-04"]["at"] not in taken
