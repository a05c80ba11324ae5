"""Guards a user relies on: confirmation, past times, mass deletes, destroy."""

from __future__ import annotations

import json

from support.cli import run_on_terminal
from support.reconcile_helpers import run


def test_apply_asks_and_only_yes_proceeds(sandbox_main, plan):
    refused = run_on_terminal("apply", str(plan), input="y\n")
    assert "Only 'yes' will be accepted" in refused.output
    assert "Apply cancelled." in refused.output
    assert refused.exit_code == 1
    assert sandbox_main.posts() == []
    accepted = run_on_terminal("apply", str(plan), input="yes\n")
    assert accepted.exit_code == 0
    assert "Apply complete! 6 added, 0 changed, 0 destroyed." in accepted.output
    assert len(sandbox_main.posts()) == 6


def test_without_a_terminal_approval_is_refused_with_how_to_give_it(sandbox_main, plan):
    """Like Terraform in CI: no prompt read from a pipe, no "Aborted." with Ctrl-C's code."""
    for command in ("apply", "destroy"):
        if command == "destroy":
            assert run("apply", str(plan), "--auto-approve").exit_code == 0
        refused = run(command, str(plan), input="yes\n")  # a pipe, even one saying yes
        assert refused.exit_code == 1, refused.output + refused.error
        assert "needs approval, and standard input is not a terminal" in refused.error
        assert f"cliper-sched {command} {plan} --auto-approve" in refused.error
        assert "Aborted" not in refused.output + refused.error
        assert len(sandbox_main.posts()) == (0 if command == "apply" else 6)


def test_past_time_is_refused_unless_allowed(sandbox_main, plan):
    plan.doc["posts"][0]["at"] = "2020-01-01T09:00:00-06:00"
    plan.save()
    result = run("apply", str(plan), "--auto-approve")
    assert result.exit_code == 1
    assert "clip-01@tiktok-main: time 2020-01-01T15:00:00+00:00 is in the past" in result.error
    assert "posts[0].at" in result.error and "--allow-past" in result.error
    assert sandbox_main.posts() == []
    allowed = run("apply", str(plan), "--auto-approve", "--allow-past")
    assert allowed.exit_code == 0, allowed.output + allowed.error
    assert len(sandbox_main.posts()) == 6


def test_mass_delete_needs_a_flag(sandbox_main, plan):
    plan.doc["posts"] = [plan.post(n) for n in range(1, 7)]
    plan.save()
    run("apply", str(plan), "--auto-approve")
    assert len(sandbox_main.posts()) == 12
    plan.doc["posts"] = plan.doc["posts"][:3]  # 6 of 12 owned posts would go
    plan.save()
    result = run("apply", str(plan), "--auto-approve")
    assert result.exit_code == 1
    assert "would delete 6 of the 12 posts the plan owns" in result.error
    assert "--allow-mass-delete" in result.error
    assert len(sandbox_main.posts()) == 12
    ok = run("apply", str(plan), "--auto-approve", "--allow-mass-delete")
    assert ok.exit_code == 0
    assert "0 added, 0 changed, 6 destroyed" in ok.output
    assert len(sandbox_main.posts()) == 6


def test_small_deletes_need_no_flag(sandbox_main, plan):
    run("apply", str(plan), "--auto-approve")
    del plan.doc["posts"][0]  # 2 of 6: below the "handful" floor
    plan.save()
    assert run("apply", str(plan), "--auto-approve").exit_code == 0


def test_destroy_deletes_owned_unpublished_posts_only(sandbox, plan):
    from planner.postiz.client import PostizClient
    from planner.postiz.models import PostEntry
    from planner.reconcile.normalize import instant

    run("apply", str(plan), "--auto-approve")
    client = PostizClient(sandbox.api_url, sandbox.api_key)
    linkedin = next(c for c in client.list_channels() if c.provider == "linkedin")
    client.create_posts(instant("2031-03-01T15:00:00Z"), [PostEntry(linkedin.id, "not ours")])
    sandbox.control("POST", "clock", {"now": "2031-03-01T14:30:00.000Z"})
    sandbox.control("POST", "publish")  # clip-01 is published now
    cancelled = run_on_terminal("destroy", str(plan), input="no\n")
    assert "Destroy cancelled." in cancelled.output and cancelled.exit_code == 1
    assert len(sandbox.posts()) == 7
    result = run("destroy", str(plan), "--auto-approve")
    assert result.exit_code == 0, result.output
    assert "Destroy complete! 4 destroyed." in result.output
    left = sandbox.posts()
    assert sorted(p["content"] for p in left) == sorted(
        ["not ours", "Clip 1: bases de datos sin miedo #shorts", "Clip 1: bases de datos sin miedo #shorts"])
    assert all(p["state"] == "PUBLISHED" for p in left if p["content"] != "not ours")
    again = run("destroy", str(plan), "--auto-approve")
    assert again.exit_code == 0 and "Nothing to destroy" in again.output
    assert "Published (history, never changed): 2" in again.output
    assert len(sandbox.posts()) == 3


def test_apply_json_reports_plan_and_result(sandbox_main, plan):
    needs = run("apply", str(plan), "--json")
    assert needs.exit_code != 0 and "--auto-approve" in needs.output + needs.error  # 1 via main: test_exit_codes
    out = run("apply", str(plan), "--json", "--auto-approve")
    data = json.loads(out.output)
    assert data["plan"]["summary"]["add"] == 6
    assert data["result"]["added"] == 6
    assert data["result"]["counted_requests"] == 3


def test_wait_sleeps_until_the_budget_returns_then_finishes(sandbox_factory, env, plan, tmp_path):
    from datetime import UTC, datetime, timedelta

    from planner.postiz.budget import RateBudget
    from planner.reconcile import budgetcache

    box = sandbox_factory(limit=30)
    env(box)
    # An earlier run spent the budget; its window ends in 6 seconds: long enough that a
    # loaded machine (parallel tests) has not passed it before the first create is due.
    reset = datetime.now(UTC) + timedelta(seconds=6)
    spent = RateBudget(30)
    spent.restore({"limit": 30, "remaining": 0, "known": True, "reset_at": reset.isoformat(), "blocked_until": None})
    budgetcache.save(spent, box.api_url)
    result = run("apply", str(plan), "--auto-approve", "--wait")
    assert result.exit_code == 0, result.output + result.error
    assert "Rate-limit budget spent: waiting until" in result.output
    assert "Apply complete! 6 added" in result.output
    assert datetime.now(UTC) >= reset  # it did not send before the window ended
    assert box.hits() == 3


def test_error_posts_are_shown_with_a_hint(sandbox_main, plan):
    run("apply", str(plan), "--auto-approve")
    x = next(c for c in sandbox_main.control("GET", "channels") if c["name"] == "x-main")
    sandbox_main.control("PATCH", f"channels/{x['id']}", {"disabled": True})
    sandbox_main.control("POST", "clock", {"now": "2031-03-01T14:30:00.000Z"})
    sandbox_main.control("POST", "publish")
    out = run("diff", str(plan)).output
    assert "Posts Postiz failed to publish (state ERROR):" in out
    assert "clip-01@x-main" in out and "hint:" in out
