"""Drafts end to end through the installed CLI against the sandbox (both Postiz versions):
`status: draft` creates Postiz drafts (state DRAFT: in the calendar, never published),
and switching a post between `draft` and `schedule` goes through the uncounted
`PUT /posts/:id/status` (docs/postiz-api.md §10.3), never a counted edit."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import yaml

from planner.postiz.client import PostizClient
from support.reconcile_helpers import run

SCHEMAS = Path(__file__).parents[2] / "planner" / "schemas"


def _valid(data: dict, schema: str) -> None:
    jsonschema.Draft202012Validator(json.loads((SCHEMAS / schema).read_text())).validate(data)


def _apply(plan, *extra):
    result = run("apply", str(plan), "--auto-approve", *extra)
    assert result.exit_code == 0, result.output + result.error
    return result


def _states(sandbox) -> dict[str, str]:
    """Post id -> Postiz state, as the sandbox holds it."""
    return {p["id"]: p["state"] for p in sandbox.posts()}


def _by_address(plan, sandbox) -> dict[str, dict]:
    rows = {p["id"]: p for p in sandbox.posts()}
    return {address: rows[owned["post_id"]] for address, owned in plan.state()["posts"].items()}


def test_drafts_are_created_as_drafts_and_promoted_with_zero_counted_requests(sandbox, plan):
    plan.doc["status"] = "draft"
    plan.save()
    shown = run("diff", str(plan))
    assert "status:   draft (never published)" in shown.output, shown.output
    _apply(plan)
    assert sandbox.hits() == 3  # one counted create per instant, as for scheduled posts
    first = _by_address(plan, sandbox)
    assert {row["state"] for row in first.values()} == {"DRAFT"}
    settled = run("diff", str(plan)).output
    assert "No changes. Postiz matches the plan." in settled
    assert "Ownership marker" not in settled  # the marker sent with each draft says "draft"

    plan.doc["status"] = "schedule"
    plan.save()
    diff = run("diff", str(plan))
    assert "status: \"draft\" → \"schedule\"" in diff.output, diff.output
    assert "Plan: 0 to add, 6 to change, 0 to destroy." in diff.output
    assert "Counted Postiz requests needed: 0" in diff.output
    promoted = _apply(plan)
    assert "~ clip-02@x-main: scheduled, was a draft (post " in promoted.output
    assert sandbox.hits() == 3  # the promotion cost nothing counted
    after = _by_address(plan, sandbox)
    assert {row["state"] for row in after.values()} == {"QUEUE"}
    # Promoted in place: same posts, same groups (the status route keeps them).
    assert {a: (r["id"], r["group"]) for a, r in after.items()} == {a: (r["id"], r["group"]) for a, r in first.items()}
    again = run("diff", str(plan), "--detailed-exitcode")
    assert again.exit_code == 0, again.output
    assert "No changes. Postiz matches the plan." in again.output
    assert "Ownership marker" not in again.output  # brought up to date by the promotion


def test_one_post_back_to_draft_and_a_caption_edit_keeps_a_draft_a_draft(sandbox, plan):
    _apply(plan)
    hits = sandbox.hits()
    plan.doc["posts"][1]["status"] = "draft"  # per post: only clip-02, on both channels
    plan.save()
    _apply(plan)
    assert sandbox.hits() == hits
    states = {a: r["state"] for a, r in _by_address(plan, sandbox).items()}
    assert states == {a: "DRAFT" if a.startswith("clip-02@") else "QUEUE" for a in states}

    # An edit through POST /posts sends `type: draft`: the draft stays a draft.
    plan.doc["posts"][1]["caption"] = "Clip 2: otra vez, como borrador"
    plan.save()
    _apply(plan)
    assert sandbox.hits() == hits + 1
    drafts = [r for a, r in _by_address(plan, sandbox).items() if a.startswith("clip-02@")]
    assert [(r["state"], r["content"]) for r in drafts] == [("DRAFT", "Clip 2: otra vez, como borrador")] * 2
    assert "No changes. Postiz matches the plan." in run("diff", str(plan)).output


def test_a_draft_and_a_scheduled_post_at_one_instant_take_two_requests(sandbox_main, plan):
    """`type` is one per request (docs/postiz-api.md §8.1): posts of one instant share a
    request only when they share it."""
    plan.doc["posts"][1]["at"] = plan.doc["posts"][0]["at"]
    plan.doc["posts"][1]["channels"] = ["linkedin-page"]
    plan.doc["posts"][1]["status"] = "draft"
    plan.save()
    data = json.loads(run("diff", str(plan), "--json").output)
    _valid(data, "changes.schema.json")
    assert data["counted_requests"] == 3
    new = {c["address"]: c["new"] for c in data["changes"]}
    assert new["clip-02@linkedin-page"]["status"] == "draft"
    assert "status" not in new["clip-01@x-main"]  # scheduled: the default, not written
    _apply(plan)
    assert sandbox_main.hits() == 3
    _valid(plan.state(), "state.schema.json")
    assert plan.state()["posts"]["clip-02@linkedin-page"]["applied"]["status"] == "draft"
    states = {a: r["state"] for a, r in _by_address(plan, sandbox_main).items()}
    assert states["clip-02@linkedin-page"] == "DRAFT"
    assert {s for a, s in states.items() if a != "clip-02@linkedin-page"} == {"QUEUE"}


def test_drafts_are_never_published_and_status_says_so(sandbox_main, plan):
    plan.doc["posts"][0]["status"] = "draft"
    plan.save()
    _apply(plan)
    sandbox_main.controls.set_clock("2031-03-02T00:00:00Z")  # every post's time has passed
    sandbox_main.controls.publish()
    states = {a: r["state"] for a, r in _by_address(plan, sandbox_main).items()}
    assert states == {a: "DRAFT" if a.startswith("clip-01@") else "PUBLISHED" for a in states}
    status = run("status", str(plan))
    assert "ep12: 4 published, 2 set to draft" in status.output, status.output
    assert "a draft, as the plan says: Postiz will not publish it" in status.output
    # Promoting it now would publish it at once: refused unless asked for.
    plan.doc["posts"][0]["status"] = "schedule"
    plan.save()
    refused = run("apply", str(plan), "--auto-approve")
    assert refused.exit_code != 0
    assert "clip-01@x-main: time" in refused.error and "--allow-past" in refused.error
    assert {r["state"] for a, r in _by_address(plan, sandbox_main).items() if a.startswith("clip-01@")} == {"DRAFT"}


def test_a_draft_whose_time_has_passed_can_still_be_edited_and_stays_a_draft(sandbox_main, plan):
    """An edit sends a draft as a draft, and Postiz never publishes a draft, whatever its
    time: editing one whose time has passed needs no --allow-past and publishes nothing."""
    plan.doc["posts"][0]["status"] = "draft"
    plan.save()
    _apply(plan)
    sandbox_main.controls.set_clock("2031-03-02T00:00:00Z")  # every post's time has passed
    sandbox_main.controls.publish()
    plan.doc["posts"][0]["caption"] = "Clip 1: rewritten while it waits #shorts"
    plan.save()
    _apply(plan)
    rows = [r for a, r in _by_address(plan, sandbox_main).items() if a.startswith("clip-01@")]
    assert len(rows) == 2 and {r["state"] for r in rows} == {"DRAFT"}
    assert all("rewritten while it waits" in r["content"] for r in rows), rows
    assert "No changes. Postiz matches the plan." in run("diff", str(plan)).output


def test_a_queued_post_past_its_time_is_made_a_draft_only_when_asked(sandbox_main, plan):
    """Postiz's worker is down or behind: a post's time has passed and it is still queued.
    Postiz may publish it any moment, so making it a draft needs --allow-past; then it is
    moved by the uncounted status route and only that post becomes a draft."""
    _apply(plan)
    sandbox_main.controls.worker(False)
    sandbox_main.controls.set_clock("2031-03-02T00:00:00Z")  # past, and nothing published yet
    plan.doc["posts"][1]["status"] = "draft"
    plan.save()
    refused = run("apply", str(plan), "--auto-approve")
    assert refused.exit_code == 1, refused.output + refused.error
    assert "clip-02@x-main: its time" in refused.error and "may be publishing it right now" in refused.error
    assert "--allow-past to make it a draft anyway" in refused.error
    assert {r["state"] for r in _by_address(plan, sandbox_main).values()} == {"QUEUE"}
    hits = sandbox_main.hits()
    _apply(plan, "--allow-past")
    assert sandbox_main.hits() == hits  # the status route: not counted
    states = {a: r["state"] for a, r in _by_address(plan, sandbox_main).items()}
    assert states == {a: "DRAFT" if a.startswith("clip-02@") else "QUEUE" for a in states}


def test_a_dashboard_switch_is_drift_even_without_the_state_file(sandbox_main, plan):
    plan.doc["status"] = "draft"
    plan.save()
    _apply(plan)
    post_id = plan.state()["posts"]["clip-03@x-main"]["post_id"]
    PostizClient(sandbox_main.api_url, sandbox_main.api_key).set_status(post_id, "schedule")  # as the dashboard
    for lost_state in (False, True):
        if lost_state:  # another machine: only the marker's fingerprint tells
            plan.state_path.unlink()
        diff = run("diff", str(plan))
        assert "! clip-03@x-main was set to draft or scheduled in Postiz: kept" in diff.output, diff.output
        assert 'status: "draft" → "schedule"' in diff.output
        assert "No changes. Postiz matches the plan." in diff.output
    hits = sandbox_main.hits()
    _apply(plan, "--overwrite-drift")
    assert sandbox_main.hits() == hits
    assert _by_address(plan, sandbox_main)["clip-03@x-main"]["state"] == "DRAFT"
    assert "No changes. Postiz matches the plan." in run("diff", str(plan)).output


def test_validate_accepts_only_draft_or_schedule(plan):
    plan.doc["posts"][2]["status"] = "published"
    plan.save()
    result = run("validate", str(plan))
    assert result.exit_code != 0
    line = plan.path.read_text().splitlines().index("  status: published") + 1
    assert f"{plan.path}:{line}" in result.error + result.output
    assert "must be schedule or draft" in result.error + result.output
    assert "Traceback" not in result.error


def test_a_past_draft_is_created_without_allow_past(sandbox_main, plan):
    """A draft never publishes, so its time may be past (the refusal is for posts Postiz
    would publish at once)."""
    plan.doc["posts"] = plan.doc["posts"][:1]
    plan.doc["posts"][0]["at"] = "2020-01-01T09:00:00-06:00"
    plan.save()
    scheduled = run("validate", str(plan))
    assert "is in the past: Postiz would publish it immediately" in scheduled.output + scheduled.error
    plan.doc["posts"][0]["status"] = "draft"
    plan.save()
    drafted = run("validate", str(plan))
    assert "in the past" not in drafted.output + drafted.error
    _apply(plan)
    assert {r["state"] for r in sandbox_main.posts()} == {"DRAFT"}


def test_pull_writes_a_dashboard_switch_into_the_plan(sandbox, plan):
    _apply(plan)
    client = PostizClient(sandbox.api_url, sandbox.api_key)
    client.set_status(plan.state()["posts"]["clip-02@x-main"]["post_id"], "draft")  # as the dashboard
    pulled = run("pull", str(plan))
    assert pulled.exit_code == 0, pulled.output + pulled.error
    post = yaml.safe_load(plan.path.read_text())["posts"][1]
    # clip-02 has two channels: only x-main became a draft.
    assert post["overrides"] == {"x-main": {"status": "draft"}} and "status" not in post
    after = run("diff", str(plan), "--detailed-exitcode")
    assert after.exit_code == 0, after.output
    assert "drift" not in after.output
