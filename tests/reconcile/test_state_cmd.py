"""`cliper-sched state list|show|rm|mv`: what a plan owns, and handing posts back or
renaming them without delete + create, checked on the sandbox's own rows.

Every test drives the installed `cliper-sched` against a sandbox on 127.0.0.1.
"""

from __future__ import annotations

import json

from planner.postiz.client import PostizClient
from support.reconcile_helpers import run


def _apply(plan, *extra):
    result = run("apply", str(plan), "--auto-approve", *extra)
    return result


def _rows(box) -> dict[str, dict]:
    """Post id -> what a user would look at in Postiz: caption, time, settings."""
    out = {}
    for row in box.posts():
        settings = row.get("settings")
        if isinstance(settings, str):
            settings = json.loads(settings or "{}")
        out[row["id"]] = {"content": row["content"], "publishDate": row["publishDate"], "settings": settings}
    return out


def _without_marker(rows: dict[str, dict]) -> dict[str, tuple]:
    return {i: (r["content"], r["publishDate"]) for i, r in rows.items()}


def _listed(plan) -> dict[str, dict]:
    result = run("state", "list", str(plan), "--json")
    assert result.exit_code == 0, result.output + result.error
    return {p["address"]: p for p in json.loads(result.output)["posts"]}


def test_list_shows_every_owned_post_with_its_status_and_when_it_was_applied(sandbox_main, plan):
    box = sandbox_main
    assert _apply(plan).exit_code == 0
    ids = plan.state()["posts"]
    box.controls.publish_post(ids["clip-01@tiktok-main"]["post_id"])
    PostizClient(box.api_url, box.api_key).delete_post(ids["clip-03@x-main"]["post_id"])  # gone in Postiz
    listed = _listed(plan)
    assert set(listed) == set(ids) and len(listed) == 6
    assert {a: p["post_id"] for a, p in listed.items()} == {a: e["post_id"] for a, e in ids.items()}
    assert listed["clip-01@tiktok-main"]["status"] == "published"
    assert listed["clip-02@x-main"]["status"] == "scheduled"
    assert listed["clip-03@x-main"]["status"] == "missing"
    assert all(p["last_applied"] for p in listed.values()), listed
    assert plan.state()["posts"]["clip-02@x-main"]["applied_at"] == listed["clip-02@x-main"]["last_applied"]

    text = run("state", "list", str(plan))
    assert text.exit_code == 0, text.error
    header, *lines = text.output.strip().splitlines()
    assert header.split() == ["ADDRESS", "POST", "ID", "STATUS", "LAST", "APPLIED"]
    line = next(row for row in lines if row.startswith("clip-01@tiktok-main "))
    assert ids["clip-01@tiktok-main"]["post_id"] in line and "published" in line


def test_list_without_a_state_file_still_shows_what_the_markers_prove(sandbox_main, plan):
    assert _apply(plan).exit_code == 0
    ids = {a: e["post_id"] for a, e in plan.state()["posts"].items()}
    plan.state_path.unlink()
    listed = _listed(plan)
    assert {a: p["post_id"] for a, p in listed.items()} == ids
    assert not any(p["in_state_file"] for p in listed.values())
    assert not plan.state_path.exists()  # list reads only


def test_show_prints_the_recorded_entry_and_the_live_post(sandbox_main, plan):
    box = sandbox_main
    assert _apply(plan).exit_code == 0
    post_id = plan.state()["posts"]["clip-02@x-main"]["post_id"]
    box.controls.dashboard_edit(post_id, content="typo fixed in the dashboard")
    result = run("state", "show", str(plan), "clip-02@x-main", "--json")
    assert result.exit_code == 0, result.error
    shown = json.loads(result.output)
    assert shown["post_id"] == post_id and shown["in_plan"] is True
    assert shown["recorded"]["applied"]["content"] == "Clip 2: bases de datos sin miedo #shorts"
    assert shown["live"]["content"] == "typo fixed in the dashboard"
    assert shown["live"]["marker"].endswith(":clip-02@x-main")

    text = run("state", "show", str(plan), "clip-02@x-main")
    assert "typo fixed in the dashboard" in text.output and post_id in text.output

    wrong = run("state", "show", str(plan), "clip-2@x-main")
    assert wrong.exit_code == 1 and "Traceback" not in wrong.error
    assert "owns no post at address 'clip-2@x-main'" in wrong.error
    assert "did you mean `clip-02@x-main`" in wrong.error


def test_rm_hands_the_post_back_so_apply_without_it_deletes_nothing(sandbox_main, plan):
    box = sandbox_main
    assert _apply(plan).exit_code == 0
    post_id = plan.state()["posts"]["clip-02@x-main"]["post_id"]
    before = _rows(box)
    assert before[post_id]["settings"]["cliper_sched"].endswith(":clip-02@x-main")

    result = run("state", "rm", str(plan), "clip-02@x-main")
    assert result.exit_code == 0, result.output + result.error
    assert "handed back to the dashboard" in result.output
    assert "still in the plan" in result.output  # it is: said before anything surprises the user
    assert "clip-02@x-main" not in plan.state()["posts"]
    after_rm = _rows(box)
    assert not after_rm[post_id]["settings"].get("cliper_sched")  # the marker is gone from Postiz
    assert _without_marker(after_rm) == _without_marker(before)  # nothing else changed

    plan.doc["posts"][1]["channels"] = ["tiktok-main"]  # the user takes it out of the plan
    plan.save()
    hits = box.hits()
    applied = _apply(plan)
    assert applied.exit_code == 0, applied.output + applied.error
    rows = _rows(box)
    assert set(rows) == set(before)  # nothing created, nothing deleted
    assert _without_marker(rows) == _without_marker(before)  # caption and time as they were
    assert box.hits() == hits  # no counted request
    again = run("diff", str(plan), "--detailed-exitcode")
    assert again.exit_code == 0 and "No changes" in again.output, again.output
    assert "clip-02@x-main" not in _listed(plan)


def test_rm_of_a_post_still_planned_never_creates_a_second_one(sandbox, plan):
    box = sandbox
    assert _apply(plan).exit_code == 0
    before = _rows(box)
    assert run("state", "rm", str(plan), "clip-03@tiktok-main").exit_code == 0
    applied = _apply(plan)
    if box.compat == "main":
        assert applied.exit_code == 4, applied.output + applied.error  # the slot is taken: said, not duplicated
        assert "clip-03@tiktok-main: post" in applied.output and "not created again" in applied.output
    else:  # no marker listed: the exact channel + time + caption match is this plan's again (as rm warned)
        assert applied.exit_code == 0, applied.output + applied.error
    assert set(_rows(box)) == set(before)
    assert _without_marker(_rows(box)) == _without_marker(before)


def test_rm_on_a_server_without_the_settings_route_forgets_the_entry_and_says_so(sandbox_factory, env, plan):
    box = sandbox_factory(compat="v2.23.0")
    env(box)
    assert _apply(plan).exit_code == 0
    before = _rows(box)
    result = run("state", "rm", str(plan), "clip-02@x-main")
    assert result.exit_code == 0, result.output + result.error
    assert "forgotten from the state file only" in result.output
    assert "no settings-only update route" in result.output
    assert "clip-02@x-main" not in plan.state()["posts"]
    plan.doc["posts"][1]["channels"] = ["tiktok-main"]
    plan.save()
    applied = _apply(plan)
    assert applied.exit_code == 0, applied.output + applied.error
    assert _without_marker(_rows(box)) == _without_marker(before)  # still there, unchanged


def test_rm_refuses_unknown_addresses_before_changing_anything(sandbox_main, plan):
    box = sandbox_main
    assert _apply(plan).exit_code == 0
    before, state = _rows(box), plan.state_path.read_bytes()
    result = run("state", "rm", str(plan), "clip-01@tiktok-main", "clip-09@tiktok-main")
    assert result.exit_code == 1 and "clip-09@tiktok-main" in result.error and "Traceback" not in result.error
    assert _rows(box) == before and plan.state_path.read_bytes() == state


def test_rm_of_a_published_post_is_refused_by_postiz_and_changes_nothing(sandbox_main, plan):
    box = sandbox_main
    assert _apply(plan).exit_code == 0
    post_id = plan.state()["posts"]["clip-01@x-main"]["post_id"]
    box.controls.publish_post(post_id)
    result = run("state", "rm", str(plan), "clip-01@x-main")
    assert result.exit_code == 1, result.output
    assert "refused to remove the ownership marker" in result.output
    assert "clip-01@x-main" in plan.state()["posts"]


def test_mv_renames_a_key_without_delete_and_create(sandbox, plan):
    box = sandbox
    assert _apply(plan).exit_code == 0
    before = _rows(box)
    ids = {a: e["post_id"] for a, e in plan.state()["posts"].items()}
    plan.doc["posts"][1]["key"] = "intro"  # the user renames clip-02 in the plan
    plan.save()
    for channel in ("tiktok-main", "x-main"):
        result = run("state", "mv", str(plan), f"clip-02@{channel}", f"intro@{channel}")
        assert result.exit_code == 0, result.output + result.error
        assert "renamed" in result.output
    posts = plan.state()["posts"]
    assert posts["intro@x-main"]["post_id"] == ids["clip-02@x-main"] and "clip-02@x-main" not in posts
    if box.compat == "main":
        assert _rows(box)[ids["clip-02@x-main"]]["settings"]["cliper_sched"].endswith(":intro@x-main")
    hits = box.hits()
    applied = _apply(plan)
    assert applied.exit_code == 0, applied.output + applied.error
    assert "0 added" in applied.output or "No changes" in applied.output, applied.output
    assert set(_rows(box)) == set(before)  # the same posts: same ids, none new, none deleted
    assert _without_marker(_rows(box)) == _without_marker(before)
    assert box.hits() == hits
    assert run("diff", str(plan), "--detailed-exitcode").exit_code == 0


def test_mv_refuses_an_unknown_old_a_taken_new_and_another_channel(sandbox_main, plan):
    assert _apply(plan).exit_code == 0
    state = plan.state_path.read_bytes()
    unknown = run("state", "mv", str(plan), "clip-2@x-main", "intro@x-main")
    assert unknown.exit_code == 1 and "did you mean `clip-02@x-main`" in unknown.error
    taken = run("state", "mv", str(plan), "clip-02@x-main", "clip-03@x-main")
    assert taken.exit_code == 1 and "already names another post" in taken.error
    other = run("state", "mv", str(plan), "clip-02@x-main", "clip-02@tiktok-main")
    assert other.exit_code == 1 and "already names another post" in other.error
    channel = run("state", "mv", str(plan), "clip-02@x-main", "intro@tiktok-main")
    assert channel.exit_code == 1 and "another channel" in channel.error, channel.error
    bad = run("state", "mv", str(plan), "clip-02@x-main", "intro")
    assert bad.exit_code == 1 and "<key>@<channel>" in bad.error
    assert plan.state_path.read_bytes() == state
    assert "Traceback" not in unknown.error + taken.error + channel.error + bad.error


def test_mv_warns_when_the_plan_still_has_the_old_key(sandbox_main, plan):
    assert _apply(plan).exit_code == 0
    result = run("state", "mv", str(plan), "clip-02@x-main", "intro@x-main")
    assert result.exit_code == 0, result.error
    assert "the plan still names clip-02@x-main" in result.output
