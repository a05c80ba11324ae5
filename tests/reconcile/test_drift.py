"""Dashboard edits: reported apart, kept by default, restored with --overwrite-drift,
and written back into the plan by `pull` (comments kept)."""

from __future__ import annotations

import json

import pytest

from support.reconcile_helpers import run


def _apply(plan, *extra):
    return run("apply", str(plan), "--auto-approve", *extra)


def _post(sandbox, plan, address):
    post_id = plan.state()["posts"][address]["post_id"]
    return next(p for p in sandbox.posts() if p["id"] == post_id)


def _edit(sandbox, plan, address, **change):
    post_id = plan.state()["posts"][address]["post_id"]
    sandbox.control("POST", f"posts/{post_id}/dashboard-edit", change)


DRIFTS = {
    "moved": ({"date": "2031-03-01T20:30:00.000Z"}, "was moved in Postiz"),
    "edited": ({"content": "caption fixed in the dashboard"}, "was edited in Postiz"),
}


@pytest.mark.parametrize("kind", sorted(DRIFTS))
def test_dashboard_edit_is_reported_and_kept_then_overwrite_restores(sandbox, plan, kind):
    _apply(plan)
    change, words = DRIFTS[kind]
    _edit(sandbox, plan, "clip-01@x-main", **change)
    edited = _post(sandbox, plan, "clip-01@x-main")

    diff = run("diff", str(plan), "--detailed-exitcode")
    assert f"! clip-01@x-main {words}: kept" in diff.output
    assert "No changes. Postiz matches the plan." in diff.output  # drift is not a plan change
    assert diff.exit_code == 2 and "exit 2: drift (dashboard edits)" in diff.error  # but CI must notice it

    kept = _apply(plan)
    assert kept.exit_code == 0
    kept_post = _post(sandbox, plan, "clip-01@x-main")
    for key in ("content", "publishDate", "group", "state"):  # not reverted (only our marker is put back)
        assert kept_post[key] == edited[key]

    restored = _apply(plan, "--overwrite-drift")
    assert restored.exit_code == 0, restored.output
    assert "1 changed" in restored.output
    post = _post(sandbox, plan, "clip-01@x-main")
    assert post["content"] == "Clip 1: bases de datos sin miedo #shorts"
    assert post["publishDate"] == "2031-03-01T14:00:00.000Z"
    assert "No changes" in run("diff", str(plan)).output


def test_deleted_in_dashboard_is_kept_deleted_unless_overwrite(sandbox, plan):
    _apply(plan)
    group = _post(sandbox, plan, "clip-02@tiktok-main")["group"]
    from planner.postiz.client import PostizClient

    PostizClient(sandbox.api_url, sandbox.api_key).delete_group(group)
    diff = run("diff", str(plan))
    assert "! clip-02@tiktok-main was deleted in Postiz: kept" in diff.output
    assert "No changes" in diff.output
    _apply(plan)
    assert len(sandbox.posts()) == 5  # not re-created
    restored = _apply(plan, "--overwrite-drift")
    assert "1 added" in restored.output
    assert len(sandbox.posts()) == 6
    assert "No changes" in run("diff", str(plan)).output


def test_published_is_history_never_edited_or_deleted(sandbox, plan):
    _apply(plan)
    sandbox.control("POST", "clock", {"now": "2031-03-01T14:30:00.000Z"})  # clip-01 is due
    sandbox.control("POST", "publish")
    diff = run("diff", str(plan))
    assert "! clip-01@x-main was published: kept (history)" in diff.output
    assert "releaseURL: https://x.example.com/posts/" in diff.output
    # Changing it in the plan, or removing it, leaves it alone.
    plan.doc["posts"][0]["caption"] = "too late"
    plan.doc["posts"][1]["caption"] = "still editable"
    plan.save()
    result = _apply(plan, "--overwrite-drift")
    assert result.exit_code == 0, result.output
    contents = sorted(p["content"] for p in sandbox.posts())
    assert "too late" not in contents
    assert contents.count("still editable") == 2
    del plan.doc["posts"][0]
    plan.save()
    _apply(plan)
    assert sum(p["state"] == "PUBLISHED" for p in sandbox.posts()) == 2


def test_pull_writes_dashboard_edits_into_the_plan_keeping_comments(sandbox, plan):
    plan.path.write_text(plan.path.read_text().replace("  caption: 'Clip 2", "  # reviewed by Ana\n  caption: 'Clip 2"))
    _apply(plan)
    _edit(sandbox, plan, "clip-02@x-main", content="better caption from the dashboard")
    _edit(sandbox, plan, "clip-03@tiktok-main", date="2031-03-02T18:00:00.000Z")
    result = run("pull", str(plan))
    assert result.exit_code == 0, result.output + result.error
    text = plan.path.read_text()
    assert "# test plan" in text and "# reviewed by Ana" in text
    assert "better caption from the dashboard" in text
    assert "2031-03-02T12:00:00-06:00" in text  # in the plan's time zone
    after = run("diff", str(plan), "--detailed-exitcode")
    assert after.exit_code == 0, after.output
    assert "No changes. Postiz matches the plan." in after.output
    assert "drift" not in after.output
    # The other channel of each post keeps the plan's values.
    hits = sandbox.hits()
    assert "No changes" in _apply(plan).output
    assert sandbox.hits() == hits


def test_post_moved_far_away_is_moved_not_deleted(sandbox, plan):
    _apply(plan)
    _edit(sandbox, plan, "clip-01@x-main", date="2031-09-01T10:00:00.000Z")
    diff = run("diff", str(plan))
    assert "! clip-01@x-main was moved in Postiz: kept" in diff.output
    restored = _apply(plan, "--overwrite-drift")
    assert "0 added, 1 changed" in restored.output
    assert len(sandbox.posts()) == 6


def test_pull_of_a_deleted_post_drops_that_channel_from_the_plan(sandbox, plan):
    from planner.postiz.client import PostizClient

    _apply(plan)
    PostizClient(sandbox.api_url, sandbox.api_key).delete_group(_post(sandbox, plan, "clip-02@x-main")["group"])
    result = run("pull", str(plan))
    assert "clip-02@x-main: deleted in Postiz: channel x-main removed from the post" in result.output
    after = run("diff", str(plan), "--detailed-exitcode")
    assert after.exit_code == 0 and "No changes" in after.output and "drift" not in after.output
    assert "clip-02@x-main" not in plan.state()["posts"]


def test_pull_on_a_generated_plan_changes_only_the_pulled_lines(sandbox_main, tmp_path):
    """A reviewer reads `git diff` after a pull: only the dashboard edit may show up,
    not a re-indented or re-quoted document."""
    import difflib

    from support.workspaces import make_workspace

    ws = make_workspace(tmp_path / "ws", clips=3)
    plan_path = tmp_path / "plans" / "ep.yaml"
    made = run("plan", str(ws.root), "--start", "2031-03-01 09:00", "--interval", "4h",
               "--channels", "tiktok-main,x-main", "--timezone", "Europe/Madrid", "-o", str(plan_path))
    assert made.exit_code == 0, made.error
    assert run("apply", str(plan_path), "--auto-approve").exit_code == 0
    before = plan_path.read_text("utf-8")
    state = plan_path.with_name("ep.state.json")
    import json

    post_id = json.loads(state.read_text())["posts"]["clip-02@x-main"]["post_id"]
    sandbox_main.control("POST", f"posts/{post_id}/dashboard-edit", {"content": "Corregido a mano ✅ #sql"})

    assert run("pull", str(plan_path)).exit_code == 0
    after = plan_path.read_text("utf-8")
    changed = [line for line in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
               if line[:1] in "+-" and not line.startswith(("+++", "---"))]
    assert changed == ["+  overrides:", "+    x-main:", '+      caption: "Corregido a mano ✅ #sql"'], changed
    assert "No changes" in run("diff", str(plan_path)).output


def test_marker_dropped_by_a_dashboard_edit_is_put_back_uncounted(sandbox_main, plan):
    """Another API client rebuilding a post's settings drops unknown keys, our marker
    included (the Postiz UI keeps them); apply puts it back with the fingerprint of what
    was applied, so the edit stays drift for any machine, state file or not."""
    sandbox = sandbox_main
    _apply(plan)
    _edit(sandbox, plan, "clip-01@x-main", content="caption fixed in the dashboard", drop_unknown_settings=True)
    assert "cliper_sched" not in _post(sandbox, plan, "clip-01@x-main")["settings"]

    diff = run("diff", str(plan), "--detailed-exitcode")
    assert "Ownership marker missing: 1 post(s); apply writes it" in diff.output
    assert diff.exit_code == 2 and "exit 2: drift" in diff.error  # the caption edit; the marker is no change
    hits = sandbox.hits()
    result = _apply(plan)
    assert result.exit_code == 0, result.output
    assert "clip-01@x-main: ownership marker put back" in result.output
    assert sandbox.hits() == hits  # PUT /posts/:id/settings is not counted
    post = _post(sandbox, plan, "clip-01@x-main")
    marker = json.loads(post["settings"])["cliper_sched"]
    assert marker.startswith(f"cs1:{plan.doc['id']}:") and marker.endswith(":clip-01@x-main")
    # It carries what was applied, not the edit: without the state file, still drift, kept.
    plan.state_path.unlink()
    again = run("diff", str(plan), "--detailed-exitcode")
    assert "! clip-01@x-main was edited in Postiz: kept" in again.output and again.exit_code == 2
    assert post["content"] == "<p>caption fixed in the dashboard</p>"  # kept, as the editor saved it
    assert "ownership marker" not in _apply(plan).output  # done once

    # The caption no longer matches the plan, so only the marker can identify the post.
    plan.state_path.unlink()
    imported = run("import", str(plan))
    assert "Imported 6 post(s)" in imported.output and "(6 by marker" in imported.output, imported.output
    kept = _apply(plan)
    assert "! clip-01@x-main was edited in Postiz: kept" in kept.output  # not silently reverted
    assert len(sandbox.posts()) == 6  # nothing duplicated
    assert _post(sandbox, plan, "clip-01@x-main")["content"] == "<p>caption fixed in the dashboard</p>"


def test_settings_edited_in_the_dashboard_is_drift_restored_uncounted(sandbox_main, plan):
    sandbox = sandbox_main  # v2.23.0 lists no settings: such an edit is invisible there
    _apply(plan)
    _edit(sandbox, plan, "clip-02@x-main", settings={"who_can_reply_post": "following"})
    diff = run("diff", str(plan))
    assert "! clip-02@x-main had its settings edited in Postiz: kept" in diff.output
    assert 'settings.who_can_reply_post: "everyone" → "following"' in diff.output
    hits = sandbox.hits()
    restored = _apply(plan, "--overwrite-drift")
    assert "~ clip-02@x-main: settings updated" in restored.output, restored.output
    assert sandbox.hits() == hits
    assert '"who_can_reply_post":"everyone"' in _post(sandbox, plan, "clip-02@x-main")["settings"].replace(" ", "")
    assert "No changes" in run("diff", str(plan)).output and "drift" not in run("diff", str(plan)).output
