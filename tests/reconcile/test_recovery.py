"""Crashes, lost answers, lost state and the rate limit: every run converges with
no duplicate and no lost post."""

from __future__ import annotations

import json

import pytest

from support.cli import run_crashing
from support.reconcile_helpers import run, run_subprocess

SETTLE = {"CLIPER_SCHED_SETTLE_SECONDS": "1"}  # a request cut by a crash gets 1 s to land, not 10


def _apply(plan, *extra):
    return run("apply", str(plan), "--auto-approve", *extra)


def _assert_converged(sandbox, plan, expected: int = 6):
    rows = sandbox.posts()
    keys = [(p["content"], p["publishDate"], p["integrationId"] if "integrationId" in p else p.get("channel_id")) for p in rows]
    assert len(keys) == len(set(keys)), f"duplicate posts: {sorted(keys)}"
    assert len(rows) == expected
    state = plan.state()
    assert state["journal"] == []
    assert {p["id"] for p in rows} == {o["post_id"] for o in state["posts"].values()}
    assert "No changes. Postiz matches the plan." in run("diff", str(plan)).output


def test_lost_state_is_rebuilt_by_import_without_duplicates(sandbox, plan):
    _apply(plan)
    ids = {a: o["post_id"] for a, o in plan.state()["posts"].items()}
    plan.state_path.unlink()
    result = run("import", str(plan))
    assert result.exit_code == 0, result.output + result.error
    assert "Imported 6 post(s)" in result.output
    assert {a: o["post_id"] for a, o in plan.state()["posts"].items()} == ids
    hits = sandbox.hits()
    assert "No changes" in _apply(plan).output
    assert sandbox.hits() == hits
    _assert_converged(sandbox, plan)


def test_import_refuses_to_overwrite_a_state_file(sandbox, plan):
    _apply(plan)
    result = run("import", str(plan))
    assert result.exit_code == 1
    assert "already exists" in result.error and "--force" in result.error


def test_lost_state_is_adopted_by_apply(sandbox, plan):
    _apply(plan)
    plan.state_path.unlink()
    hits = sandbox.hits()
    result = _apply(plan)
    assert result.exit_code == 0, result.output
    if sandbox.compat == "main":  # found by marker: ours all along, nothing to announce
        assert "No changes. Postiz matches the plan." in result.output and "Adopted" not in result.output
    else:  # no settings listed: by channel + instant + content
        assert "Adopted (already in Postiz, now owned by this plan): 6" in result.output
    assert len(plan.state()["posts"]) == 6
    assert sandbox.hits() == hits
    _assert_converged(sandbox, plan)


@pytest.mark.parametrize("fault", [
    {"action": "error"},                  # 500: nothing done
    {"action": "drop"},                   # carried out, answer lost
    {"action": "delay", "seconds": 3},    # answered after the client gave up
])
def test_faults_on_create_converge(sandbox, plan, fault, monkeypatch):
    # The client gives up after 1 s; the delayed request still lands 2 s later.
    monkeypatch.setenv("POSTIZ_TIMEOUT", "1")
    monkeypatch.setenv("CLIPER_SCHED_SETTLE_SECONDS", "4")
    sandbox.fault(method="POST", path="/public/v1/posts", nth=2, **fault)
    first = _apply(plan)
    assert first.exit_code in (0, 4), first.output + first.error
    if fault["action"] != "error":
        assert "no clear answer" in first.output
    second = _apply(plan)
    assert second.exit_code == 0, second.output + second.error
    _assert_converged(sandbox, plan)


@pytest.mark.slow
# Requests 1-3 are the uploads, 4-6 the three counted creates.
@pytest.mark.parametrize("point", ["before-request:2", "before-request:4", "after-request:4",
                                   "after-request:5", "before-state-write:4", "after-state-write:3"])
def test_kill_9_at_any_point_converges(sandbox, plan, point):
    crashed = run_crashing(point, "apply", str(plan), "--auto-approve")
    assert crashed.returncode == -9, crashed.stdout + crashed.stderr
    # The first journaled request not found may have been in flight: awaited SETTLE s.
    again = run_subprocess("apply", str(plan), "--auto-approve", env=SETTLE)
    assert again.returncode == 0, again.stdout + again.stderr
    _assert_converged(sandbox, plan)


@pytest.mark.slow
@pytest.mark.parametrize("point", ["before-request:1", "after-request:1", "after-request:2"])
def test_kill_9_during_edits_and_deletes_converges(sandbox_main, plan, point):
    assert run_subprocess("apply", str(plan), "--auto-approve").returncode == 0
    plan.doc["posts"][0]["caption"] = "edited caption"   # one counted edit request
    del plan.doc["posts"][2]                             # two uncounted deletes
    plan.save()
    crashed = run_crashing(point, "apply", str(plan), "--auto-approve")
    assert crashed.returncode == -9
    again = run_subprocess("apply", str(plan), "--auto-approve", env=SETTLE)
    assert again.returncode == 0, again.stdout + again.stderr
    _assert_converged(sandbox_main, plan, expected=4)
    assert sorted(p["content"] for p in sandbox_main.posts()).count("edited caption") == 2


def test_budget_spent_with_no_wait_stops_cleanly_and_rerun_finishes(sandbox_factory, env, plan, tmp_path):
    box = sandbox_factory(limit=2)
    env(box)
    result = _apply(plan, "--no-wait")
    assert result.exit_code == 3, result.output + result.error
    assert "Stopped: the rate-limit budget is spent." in result.output
    assert "Remaining: 2 post(s)" in result.output
    assert box.hits() == 2  # never walked into a 429
    assert len(box.posts()) == 4
    # Same hour: the cached budget stops it again without sending anything.
    again = _apply(plan, "--no-wait")
    assert again.exit_code == 3
    assert box.hits() == 2
    # An hour later (server window over; cached times shifted back an hour).
    box.control("POST", "clock", {"advance_seconds": 3700})
    for cached in (tmp_path / "cache").glob("budget-*.json"):
        data = json.loads(cached.read_text())
        data["reset_at"] = data["blocked_until"] = None
        data["remaining"] = data["limit"]
        cached.write_text(json.dumps(data))
    final = _apply(plan, "--no-wait")
    assert final.exit_code == 0, final.output
    assert "1 added" in final.output or "2 added" in final.output
    _assert_converged(box, plan)


def test_a_429_the_budget_could_not_foresee_stops_without_retrying(sandbox_factory, env, plan):
    box = sandbox_factory(limit=2)
    env(box)
    from planner.postiz.client import PostizClient
    from planner.postiz.models import PostEntry
    from planner.reconcile.normalize import instant

    other = PostizClient(box.api_url, box.api_key)  # another tool spends the org's budget
    channel = next(c for c in other.list_channels() if c.provider == "linkedin")
    for hour in (1, 2):
        other.create_posts(instant(f"2031-04-01T0{hour}:00:00Z"), [PostEntry(channel.id, f"other {hour}")])
    result = _apply(plan, "--no-wait")
    assert result.exit_code == 3, result.output + result.error
    assert box.hits() == 3  # the one 429 it could not know about, and no retry into the block
    assert {p["content"] for p in box.posts()} <= {"other 1", "other 2"}


def test_refused_post_does_not_stop_the_others(sandbox, plan):
    # Postiz refuses it; no check of the plan knows this setting, so it is sent.
    plan.doc["posts"][1]["overrides"] = {"x-main": {"settings": {"community": "https://example.com/c"}}}
    plan.save()
    result = _apply(plan)
    assert result.exit_code == 4, result.output + result.error
    assert "Postiz refused 1 post(s):" in result.output
    assert "clip-02@x-main (x channel 'x-main')" in result.output
    assert len(sandbox.posts()) == 5
    assert "clip-02@x-main" not in plan.state()["posts"]


def test_second_apply_waits_for_the_lock(sandbox, plan):
    from planner.reconcile.state import Lock

    ids = sorted(c["id"] for c in sandbox.controls.channels() if c["name"] in ("tiktok-main", "x-main"))
    with Lock(plan.state_path, plan.doc["id"] + "|" + ",".join(ids)):
        result = _apply(plan)
    assert result.exit_code == 1
    assert "another cliper-sched run is applying this plan right now" in result.error
    assert sandbox.posts() == []


def test_state_of_another_plan_is_ignored_with_a_note(sandbox, plan):
    """The state is a cache: one of another plan (or from a pull request) decides nothing."""
    _apply(plan)
    data = plan.state()
    data["plan_id"] = "another-plan-id"
    plan.state_path.write_text(json.dumps(data))
    hits = sandbox.hits()
    result = run("diff", str(plan))
    assert result.exit_code == 0, result.error
    assert "belongs to plan id 'another-plan-id'" in result.output
    again = _apply(plan)
    assert again.exit_code == 0 and sandbox.hits() == hits and len(sandbox.posts()) == 6


def test_lost_state_and_a_dashboard_edit_on_v2_23_0_warns_then_imports_by_time(sandbox_factory, env, plan):
    """v2.23.0 lists no settings, so no marker: after losing the state, a post whose caption
    was edited in the dashboard matches nothing. apply must not quietly make a second one."""
    box = sandbox_factory(compat="v2.23.0")
    env(box)
    _apply(plan)
    post_id = plan.state()["posts"]["clip-01@x-main"]["post_id"]
    box.control("POST", f"posts/{post_id}/dashboard-edit", {"content": "edited in the dashboard"})
    plan.state_path.unlink()

    diff = run("diff", str(plan))
    assert "Not created: a post without this plan's marker sits at that channel and time: 1" in diff.output
    assert f"clip-01@x-main: post {post_id} already sits on x-main at this time without this plan's marker" \
        in diff.output
    assert "--match-time" in diff.output
    hits = box.hits()
    blocked = _apply(plan)  # no second post: the slot is taken by a post nothing proves is ours
    assert blocked.exit_code == 4 and len(box.posts()) == 6 and box.hits() == hits
    assert "1 planned post(s) not created" in blocked.output and "No changes. Postiz" not in blocked.output

    plain = run("import", str(plan), "--force")  # the blocked apply cached the 5 it matched
    assert "Imported 5 post(s)" in plain.output and "clip-01@x-main" in plain.output  # listed as missing
    imported = run("import", str(plan), "--force", "--match-time")
    assert imported.exit_code == 0, imported.output + imported.error
    assert "Imported 6 post(s)" in imported.output and "1 by channel + time only" in imported.output
    assert f"clip-01@x-main: post {post_id}, caption in Postiz: 'edited in the dashboard'" in imported.output

    kept = _apply(plan)
    assert "! clip-01@x-main was edited in Postiz: kept" in kept.output
    assert len(box.posts()) == 6
    assert run("pull", str(plan)).exit_code == 0
    assert "edited in the dashboard" in plan.path.read_text()
    _assert_converged(box, plan)
