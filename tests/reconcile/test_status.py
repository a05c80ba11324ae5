"""`cliper-sched status PLAN…`: the fate of each post after apply, as the sandbox's
publishing simulation and dashboard controls left it: scheduled, published (with its
link), failed (with a hint), moved or deleted in the dashboard, not yet applied.
Read-only: no request status makes is counted against the rate limit."""

from __future__ import annotations

import json
import shutil

import pytest
import requests

from support.reconcile_helpers import PlanFile, at, run


def _apply(plan):
    result = run("apply", str(plan), "--auto-approve")
    assert result.exit_code == 0, result.output + result.error
    return result


def _post_id(plan, address):
    return plan.state()["posts"][address]["post_id"]


def _rows(out: str) -> dict[str, str]:
    """Each post's line of the text output, by address."""
    return {next(w for w in line.split() if "@" in w): line for line in out.splitlines()
            if line.startswith("  ") and not line.startswith("   ") and "@" in line}


def _every_fate(sandbox, plan):
    """Apply 3 posts x 2 channels, then: clip-01@x-main published, clip-01@tiktok-main
    failed, clip-02@tiktok-main deleted and clip-02@x-main moved in the dashboard,
    clip-03 left scheduled, and clip-04 added to the plan but not applied."""
    _apply(plan)
    controls = sandbox.controls
    controls.publish_post(_post_id(plan, "clip-01@x-main"))
    controls.fail_post(_post_id(plan, "clip-01@tiktok-main"), "Media is not valid: codec h265 not supported")
    from planner.postiz.client import PostizClient

    deleted = _post_id(plan, "clip-02@tiktok-main")
    group = next(r["group"] for r in sandbox.posts() if r["id"] == deleted)
    PostizClient(sandbox.api_url, sandbox.api_key).delete_group(group)  # what the dashboard's delete does
    controls.drag(_post_id(plan, "clip-02@x-main"), "2031-03-02T21:30:00.000Z")
    plan.doc["posts"].append(plan.post(4))
    plan.save()


def test_status_shows_every_fate_with_counts_and_exits_2_on_a_failure(sandbox, plan):
    _every_fate(sandbox, plan)
    hits = sandbox.hits()
    result = run("status", str(plan))
    assert result.exit_code == 2, result.output + result.error
    out = result.output
    lines = _rows(out)
    published = next(r for r in sandbox.posts() if r["id"] == _post_id(plan, "clip-01@x-main"))
    assert lines["clip-01@x-main"].split()[0] == "published"
    assert published["release_url"].startswith("https://x.example.com/posts/")
    assert published["release_url"] in lines["clip-01@x-main"]
    assert lines["clip-01@tiktok-main"].split()[0] == "failed"
    assert lines["clip-02@tiktok-main"].split()[0] == "deleted"
    assert lines["clip-02@x-main"].split()[0] == "moved"
    assert "2031-03-02T15:30-06:00" in lines["clip-02@x-main"]  # where it is now, in the plan's zone
    assert "planned 2031-03-01T09:00-06:00" in lines["clip-02@x-main"]
    assert lines["clip-03@tiktok-main"].split()[0] == "scheduled"
    assert "2031-03-01T10:00-06:00" in lines["clip-03@tiktok-main"]
    assert lines["clip-04@x-main"].startswith("  not applied")
    # Postiz keeps the failure's reason out of GET /posts: status says so, never invents it.
    assert "Postiz does not list why" in lines["clip-01@tiktok-main"]
    assert "codec h265" not in out
    assert "hint: open the post in the Postiz dashboard" in out
    assert "ep12: 2 scheduled, 1 published, 1 failed, 1 deleted in the dashboard, 1 moved, " \
           "2 not yet applied" in out
    assert "Total" not in out  # one plan: no grand total
    assert sandbox.hits() == hits  # nothing counted


def test_status_json_has_per_post_records_and_counts(sandbox_main, plan):
    _every_fate(sandbox_main, plan)
    result = run("status", str(plan), "--format", "json")
    assert result.exit_code == 2, result.error
    data = json.loads(result.output)
    [ep12] = data["plans"]
    assert ep12["counts"] == {"scheduled": 2, "published": 1, "failed": 1, "deleted": 1, "moved": 1,
                              "draft": 0, "not_applied": 2}
    assert data["failed"] == 1 and data["total"] == ep12["counts"]
    posts = {p["address"]: p for p in ep12["posts"]}
    assert posts["clip-01@x-main"]["url"].startswith("https://x.example.com/posts/")
    assert posts["clip-01@tiktok-main"]["fate"] == "failed"
    assert posts["clip-01@tiktok-main"]["state"] == "ERROR"
    assert posts["clip-01@tiktok-main"]["hint"]
    assert (posts["clip-02@x-main"]["at"], posts["clip-02@x-main"]["planned_at"]) == \
        ("2031-03-02T21:30:00.000Z", "2031-03-01T15:00:00.000Z")
    assert posts["clip-04@tiktok-main"]["fate"] == "not_applied" and posts["clip-04@tiktok-main"]["post_id"] is None


def test_status_markdown_is_a_table_per_plan_for_a_ci_summary(sandbox_main, plan):
    _every_fate(sandbox_main, plan)
    result = run("status", str(plan), "--format", "markdown")
    assert result.exit_code == 2, result.error
    out = result.output
    assert "### ep12" in out
    assert "**ep12: 2 scheduled, 1 published, 1 failed, 1 deleted in the dashboard, 1 moved, " \
           "2 not yet applied**" in out
    assert "| Post | Fate | When | Details |" in out
    rows = [line for line in out.splitlines() if line.startswith("| clip-")]
    assert len(rows) == 8 and all(row.count(" | ") == 3 for row in rows)
    published = next(row for row in rows if row.startswith("| clip-01@x-main |"))
    assert "| published |" in published and "](https://x.example.com/posts/" in published
    failed = next(row for row in rows if row.startswith("| clip-01@tiktok-main |"))
    assert "**hint:**" in failed


def test_markdown_cells_escape_pipes_emphasis_and_invisible_characters(sandbox_main, tmp_path):
    """A channel named with `|`, emphasis and a zero-width space (names come from the
    social account) stays inside its table cell, and shows what it holds."""
    name = "canal | *uno*\u200b"
    sandbox_main.controls.add_channel("tiktok", name)
    plan = PlanFile(tmp_path, posts=1, channels=(name,))
    _apply(plan)
    result = run("status", str(plan), "--format", "markdown")
    assert result.exit_code == 0, result.output + result.error
    [row] = [line for line in result.output.splitlines() if line.startswith("| clip-01")]
    assert row.startswith("| clip-01@canal \\| \\*uno\\*\\\\u200b | scheduled | ")
    assert row.count(" | ") == 3  # the `|` of the name is escaped: still 4 cells


def test_every_plan_in_a_folder_and_a_grand_total_exit_0_without_failures(sandbox_main, tmp_path):
    ep12 = PlanFile(tmp_path, posts=2)
    ep13 = PlanFile(tmp_path, posts=1, name="ep13")
    ep13.doc["posts"][0]["at"] = at(5, 9)
    ep13.save()
    _apply(ep12)
    _apply(ep13)
    sandbox_main.controls.publish_post(_post_id(ep13, "clip-01@tiktok-main"))
    from planner.postiz.client import PostizClient

    PostizClient(sandbox_main.api_url, sandbox_main.api_key).set_status(_post_id(ep12, "clip-02@x-main"), "draft")
    hits = sandbox_main.hits()
    result = run("status", str(ep12.path.parent))
    assert result.exit_code == 0, result.output + result.error
    out = result.output
    assert out.index("ep12 (") < out.index("ep13 (")  # sorted by file name
    assert "ep12: 3 scheduled, 1 set to draft" in out
    assert _rows(out)["clip-02@x-main"].split()[0] == "draft"
    assert "ep13: 1 scheduled, 1 published" in out
    assert "Total: 4 scheduled, 1 published, 1 set to draft" in out
    assert sandbox_main.hits() == hits


def test_a_disabled_channel_fails_its_posts_and_the_hint_says_enable_it(sandbox_main, plan):
    """The publishing simulation fails a due post on a disabled channel, as Postiz does
    ("Channel disabled"); GET /integrations lists `disabled`, so the hint can say it."""
    _apply(plan)
    x = next(c for c in sandbox_main.controls.channels() if c["name"] == "x-main")
    sandbox_main.controls.update_channel(x["id"], disabled=True)
    sandbox_main.controls.set_clock("2031-03-01T14:30:00Z")  # clip-01 (08:00 -06:00) is due
    sandbox_main.controls.publish()
    row = next(r for r in sandbox_main.posts() if r["id"] == _post_id(plan, "clip-01@x-main"))
    assert (row["state"], row["error"]) == ("ERROR", "Channel disabled")
    result = run("status", str(plan))
    assert result.exit_code == 2, result.output + result.error
    assert "hint: the channel 'x-main' is disabled in Postiz: enable it there" in result.output
    assert "ep12: 4 scheduled, 1 published, 1 failed" in result.output
    failed = [line for line in result.output.splitlines() if line.startswith("  failed")]
    assert [line.split()[1] for line in failed] == ["clip-01@x-main"]


@pytest.mark.parametrize("args", [("nope.yaml",), ()])
def test_missing_plan_is_a_clear_error(sandbox_main, tmp_path, args):
    result = run("status", *args)
    assert result.exit_code == 1
    assert "Traceback" not in result.error
    assert ("no such file or folder" if args else "Missing argument") in result.error


def test_a_fresh_ci_checkout_without_state_file_nor_clips_still_reports(sandbox_main, plan):
    """A CI job summary runs on a checkout with the plans only: Postiz's markers say which
    post is which, and the clips are not needed to read Postiz."""
    _every_fate(sandbox_main, plan)
    plan.state_path.unlink()
    shutil.rmtree(plan.workspace)
    result = run("status", str(plan))
    assert result.exit_code == 2, result.output + result.error
    rows = _rows(result.output)
    assert rows["clip-01@x-main"].split()[0] == "published"
    assert rows["clip-01@tiktok-main"].split()[0] == "failed"
    assert rows["clip-02@x-main"].split()[0] == "moved"
    assert rows["clip-03@x-main"].split()[0] == "scheduled"
    assert not plan.state_path.exists()  # status writes nothing


def test_sandbox_fail_control_stores_the_reason_but_the_listing_never_shows_it(sandbox, plan):
    """As in Postiz (docs/postiz-api.md §7.2): GET /posts lists state ERROR, never `error`."""
    _apply(plan)
    post_id = _post_id(plan, "clip-01@x-main")
    row = sandbox.controls.fail_post(post_id, {"message": "token expired"})
    assert (row["state"], row["error"]) == ("ERROR", '{"message":"token expired"}')  # JSON.stringify(err)
    listing = requests.get(f"{sandbox.api_url}/public/v1/posts", headers={"Authorization": sandbox.api_key},
                           params={"startDate": "2031-01-01T00:00:00Z", "endDate": "2031-12-31T00:00:00Z"},
                           timeout=10).json()["posts"]
    [listed] = [p for p in listing if p["id"] == post_id]
    assert listed["state"] == "ERROR"
    assert "error" not in listed and "token expired" not in json.dumps(listing)
