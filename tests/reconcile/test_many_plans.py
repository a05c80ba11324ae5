"""Many plans in one run (`diff plans/`, `apply plans/`), --target, and saved change
sets (`diff --out` + `apply changes.json`), end to end on the sandbox. What is checked
is what Postiz holds (the sandbox's rows and counted requests); printed words second."""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from support import cli
from support.reconcile_helpers import PlanFile, run


@pytest.fixture
def three(tmp_path):
    """plans/ep12.yaml, ep13.yaml, ep14.yaml: 3 posts x 2 channels each, at the same three instants."""
    return [PlanFile(tmp_path, name=name) for name in ("ep12", "ep13", "ep14")]


def _plans_dir(plans) -> str:
    return str(plans[0].path.parent)


def _by_plan(sandbox) -> dict[str, int]:
    counts: dict[str, int] = {}
    for row in sandbox.posts():
        plan_id = json.loads(row["settings"])["cliper_sched"].split(":")[1]
        counts[plan_id] = counts.get(plan_id, 0) + 1
    return counts


def test_three_plans_share_one_budget_one_summary_and_one_request_per_instant(sandbox_main, three):
    result = run("apply", _plans_dir(three), "--auto-approve")
    assert result.code == 0, result.out + result.err
    # 3 plans x 3 posts x 2 channels, at 3 distinct instants: 3 counted requests in all.
    assert len(sandbox_main.posts()) == 18
    assert sandbox_main.hits() == 3
    assert _by_plan(sandbox_main) == {p.doc["id"]: 6 for p in three}
    for p in three:
        assert f"{p.path}: 6 added, 0 changed, 0 destroyed" in result.out
        assert len(p.state()["posts"]) == 6  # each plan's own state file
    assert "Counted Postiz requests: 3 sent; the minimum for these changes is 3" in result.out

    diff = run("diff", _plans_dir(three), "--detailed-exitcode")
    assert diff.code == 0, diff.out + diff.err
    for p in three:
        assert f"{p.path}: 0 to add, 0 to change, 0 to destroy" in diff.out
    again = run("apply", _plans_dir(three), "--auto-approve")
    assert again.code == 0 and sandbox_main.hits() == 3 and len(sandbox_main.posts()) == 18


def test_a_spent_budget_is_spent_earliest_post_first_across_plans(sandbox_factory, env, three):
    box = sandbox_factory(limit=2)
    env(box)
    stopped = run("apply", _plans_dir(three), "--auto-approve", "--no-wait", "--rate-limit", "2/h")
    assert stopped.code == 3, stopped.out + stopped.err
    # The two earliest instants, for every plan; the latest waits.
    planned = sorted(datetime.fromisoformat(p["at"]) for p in three[0].doc["posts"])
    created = sorted({datetime.fromisoformat(row["publishDate"].replace("Z", "+00:00")) for row in box.posts()})
    assert len(box.posts()) == 12 and created == planned[:2]
    for p in three:
        assert "Plan: 2 to add, 0 to change, 0 to destroy." in run("diff", str(p)).out
    # An hour later: Postiz's window has passed, and so has the one the client remembers.
    box.controls.reset_ratelimit()
    later = {"CLIPER_SCHED_CACHE_DIR": str(three[0].root / "cache-an-hour-later")}
    done = cli.run("apply", _plans_dir(three), "--auto-approve", "--no-wait", "--rate-limit", "2/h", env=later)
    assert done.code == 0, done.out + done.err
    assert len(box.posts()) == 18  # nothing twice


def test_a_failing_plan_does_not_stop_the_others(sandbox_main, three):
    bad = three[1]
    bad.doc["posts"][0]["channels"] = ["no-such-channel"]
    bad.save()
    result = run("apply", _plans_dir(three), "--auto-approve")
    assert result.code == 1
    assert "unknown channel 'no-such-channel'" in result.out + result.err
    assert _by_plan(sandbox_main) == {three[0].doc["id"]: 6, three[2].doc["id"]: 6}
    assert not bad.state_path.exists()


def test_two_plans_with_one_id_are_refused_not_mixed(sandbox_main, three):
    three[2].doc["id"] = three[0].doc["id"]  # a copied plan file
    three[2].save()
    result = run("apply", _plans_dir(three), "--auto-approve")
    assert result.code == 1
    assert "has the same `id`" in result.out + result.err
    assert _by_plan(sandbox_main) == {three[0].doc["id"]: 6, three[1].doc["id"]: 6}


def test_target_limits_apply_and_destroy_to_the_matches(sandbox_main, plan):
    first = run("apply", str(plan), "--auto-approve", "--target", "clip-02@*")
    assert first.code == 0, first.out + first.err
    assert sorted(plan.state()["posts"]) == ["clip-02@tiktok-main", "clip-02@x-main"]
    assert len(sandbox_main.posts()) == 2

    run("apply", str(plan), "--auto-approve", "--target", "*@x-main")
    assert len(sandbox_main.posts()) == 4
    diff = run("diff", str(plan))
    assert diff.out.count("+ clip-") == 2  # clip-01 and clip-03 on tiktok-main remain

    gone = run("destroy", str(plan), "--auto-approve", "--target", "clip-03")
    assert gone.code == 0, gone.out + gone.err
    assert sorted(plan.state()["posts"]) == ["clip-01@x-main", "clip-02@tiktok-main", "clip-02@x-main"]

    typo = run("apply", str(plan), "--auto-approve", "--target", "clip-9@*")
    assert typo.code == 1 and "--target 'clip-9@*' matches no post" in typo.err
    assert len(sandbox_main.posts()) == 3


def test_a_saved_change_set_applies_exactly(sandbox_main, three, tmp_path):
    out = tmp_path / "changes.json"
    diff = run("diff", _plans_dir(three), "--out", str(out))
    assert diff.code == 0, diff.out + diff.err
    saved = json.loads(out.read_text())
    assert [p["summary"] for p in saved["plans"]] == [{"add": 6, "change": 0, "destroy": 0}] * 3
    assert sandbox_main.api_key not in out.read_text()
    assert sandbox_main.api_url not in out.read_text()
    assert sandbox_main.posts() == []  # diff changed nothing

    applied = run("apply", str(out), "--auto-approve")
    assert applied.code == 0, applied.out + applied.err
    assert len(sandbox_main.posts()) == 18 and sandbox_main.hits() == 3


def test_a_saved_change_set_refuses_after_a_plan_edit(sandbox_main, three, tmp_path):
    out = tmp_path / "changes.json"
    assert run("diff", _plans_dir(three), "--out", str(out)).code == 0
    three[1].doc["posts"][0]["caption"] = "edited after the review"
    three[1].save()
    refused = run("apply", str(out), "--auto-approve")
    assert refused.code == 1
    assert f"{three[1].path}: the plan file changed since the change set was saved" in refused.err
    assert sandbox_main.posts() == []  # nothing applied, not even the unchanged plans


def test_a_saved_change_set_refuses_after_a_dashboard_edit(sandbox_main, plan, tmp_path):
    assert run("apply", str(plan), "--auto-approve").code == 0
    plan.doc["posts"][0]["caption"] = "a reviewed caption change"
    plan.save()
    out = tmp_path / "changes.json"
    assert run("diff", str(plan), "--out", str(out)).code == 0
    victim = plan.state()["posts"]["clip-02@x-main"]["post_id"]
    sandbox_main.controls.dashboard_edit(victim, content="edited in the dashboard meanwhile")
    before = {r["id"]: (r["content"], r["publishDate"]) for r in sandbox_main.posts()}
    refused = run("apply", str(out), "--auto-approve")
    assert refused.code == 1
    assert "1 post(s) changed in Postiz since the change set was saved: clip-02@x-main" in refused.err
    assert {r["id"]: (r["content"], r["publishDate"]) for r in sandbox_main.posts()} == before


def test_detailed_exitcode_reports_drift(sandbox_main, plan):
    assert run("apply", str(plan), "--auto-approve").code == 0
    assert run("diff", str(plan), "--detailed-exitcode").code == 0
    post = plan.state()["posts"]["clip-01@tiktok-main"]["post_id"]
    sandbox_main.controls.dashboard_edit(post, content="fixed a typo in the dashboard")
    drift = run("diff", str(plan), "--detailed-exitcode")
    assert drift.code == 2, drift.out + drift.err
    assert "exit 2: drift (dashboard edits)" in drift.err
    assert "No changes. Postiz matches the plan." in drift.out  # drift alone: nothing to apply


def test_a_saved_change_set_that_undoes_dashboard_edits_needs_the_flag_again(sandbox_main, plan, tmp_path):
    assert run("apply", str(plan), "--auto-approve").code == 0
    post = plan.state()["posts"]["clip-01@x-main"]["post_id"]
    sandbox_main.controls.dashboard_edit(post, content="edited in the dashboard")
    out = tmp_path / "changes.json"
    assert run("diff", str(plan), "--overwrite-drift", "--out", str(out)).code == 0
    silent = run("apply", str(out), "--auto-approve")
    assert silent.code == 1 and "was saved with --overwrite-drift" in silent.err
    assert any("edited in the dashboard" in r["content"] for r in sandbox_main.posts())
    confirmed = run("apply", str(out), "--auto-approve", "--overwrite-drift")
    assert confirmed.code == 0, confirmed.out + confirmed.err
    assert not any("edited in the dashboard" in r["content"] for r in sandbox_main.posts())


def test_a_saved_change_set_refuses_when_a_channel_was_replaced_under_its_name(sandbox_main, plan, tmp_path):
    out = tmp_path / "changes.json"
    assert run("diff", str(plan), "--out", str(out)).code == 0
    old = next(c for c in sandbox_main.controls.channels() if c["name"] == "x-main")
    sandbox_main.controls.update_channel(old["id"], deleted=True)
    sandbox_main.controls.add_channel("x", "x-main")  # reconnected: same name, another channel
    refused = run("apply", str(out), "--auto-approve")
    assert refused.code == 1, refused.out + refused.err
    assert "the changes are no longer the reviewed ones" in refused.err
    assert sandbox_main.posts() == []


def test_a_plan_refused_by_the_safety_checks_is_left_out_before_the_question(sandbox_main, three):
    three[1].doc["posts"][0]["at"] = "2020-01-01T10:00:00-06:00"  # past: Postiz would publish it at once
    three[1].save()
    result = run("apply", _plans_dir(three), "--auto-approve")
    assert result.code == 1, result.out + result.err
    shown = result.out.split("Counted Postiz requests:")[0]
    # What was shown before applying already counts the refused plan out.
    assert "Plan: 12 to add, 0 to change, 0 to destroy across 2 plan(s)." in shown
    assert f"{three[1].path}: error" in shown
    assert _by_plan(sandbox_main) == {three[0].doc["id"]: 6, three[2].doc["id"]: 6}
