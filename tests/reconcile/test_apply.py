"""End to end through the real CLI against the sandbox (both Postiz versions):
the plan -> apply -> re-apply loop, and each kind of edit giving exactly its change."""

from __future__ import annotations

import json
import re
from datetime import timedelta

from support.reconcile_helpers import at, run


def _apply(plan, *extra):
    return run("apply", str(plan), "--auto-approve", *extra)


def _live(sandbox):
    return {(p["content"], p["publishDate"]) for p in sandbox.posts()}


def test_first_apply_creates_everything_then_reapply_sends_nothing(sandbox, plan):
    first = _apply(plan)
    assert first.exit_code == 0, first.output + first.error
    assert "Apply complete! 6 added, 0 changed, 0 destroyed." in first.output
    rows = sandbox.posts()
    assert len(rows) == 6
    # One counted request per distinct time: 3 posts x 2 channels share their time.
    assert sandbox.hits() == 3
    state = plan.state()
    assert sorted(state["posts"]) == sorted(f"clip-0{n}@{c}" for n in (1, 2, 3) for c in ("tiktok-main", "x-main"))
    assert sandbox.api_key not in plan.state_path.read_text()

    again = _apply(plan)
    assert again.exit_code == 0
    assert "No changes. Postiz matches the plan." in again.output
    assert sandbox.hits() == 3  # nothing counted
    assert len(sandbox.posts()) == 6


def test_posts_sharing_a_time_share_one_counted_request_and_carry_the_marker(sandbox_main, plan):
    plan.doc["posts"][1]["at"] = plan.doc["posts"][0]["at"]
    plan.doc["posts"][1]["channels"] = ["linkedin-page"]  # one channel, one post a minute
    plan.save()
    result = _apply(plan)
    assert "Counted Postiz requests needed: 2" in result.output
    assert sandbox_main.hits() == 2
    assert sandbox_main.api_key not in result.output + result.error
    for address, owned in plan.state()["posts"].items():
        row = next(p for p in sandbox_main.posts() if p["id"] == owned["post_id"])
        settings = json.loads(row["settings"])
        # cs1:<plan id>:<fingerprint of what was applied>:<address>
        kind, plan_id, fingerprint, marked = settings["cliper_sched"].split(":", 3)
        assert (kind, plan_id, marked) == ("cs1", plan.doc["id"], address)
        assert re.fullmatch(r"[0-9a-f]{32}", fingerprint)
        assert not any("plug-" in key for key in settings)


def test_diff_detailed_exitcode(sandbox, plan):
    assert run("diff", str(plan), "--detailed-exitcode").exit_code == 2
    assert run("diff", str(plan)).exit_code == 0
    _apply(plan)
    clean = run("diff", str(plan), "--detailed-exitcode")
    assert clean.exit_code == 0
    assert "No changes. Postiz matches the plan." in clean.output


def test_diff_json_is_the_same_plan(sandbox, plan):
    out = run("diff", str(plan), "--json")
    data = json.loads(out.output)
    assert data["summary"]["add"] == 6
    assert {c["action"] for c in data["changes"]} == {"create"}
    assert data["counted_requests"] == 3
    tiktok = next(c for c in data["changes"] if c["address"] == "clip-01@tiktok-main")
    # Provider defaults are part of the shown values.
    assert tiktok["new"]["settings"]["privacy_level"] == "PUBLIC_TO_EVERYONE"


def _single_change(plan, sandbox, edit, expect_lines, hits_delta):
    _apply(plan)
    before_hits = sandbox.hits()
    before_ids = {p["id"] for p in sandbox.posts()}
    edit(plan.doc)
    plan.save()
    diff = run("diff", str(plan))
    for line in expect_lines:
        assert line in diff.output, diff.output
    result = _apply(plan)
    assert result.exit_code == 0, result.output + result.error
    assert sandbox.hits() - before_hits == hits_delta
    assert "No changes" in run("diff", str(plan)).output
    return before_ids, {p["id"] for p in sandbox.posts()}, diff.output


def test_editing_one_time_moves_only_that_post(sandbox, plan):
    def edit(doc):
        doc["posts"][1]["at"] = at(5, 10)

    before, after, out = _single_change(plan, sandbox, edit, [
        "~ clip-02@tiktok-main", "~ clip-02@x-main", "Plan: 0 to add, 2 to change, 0 to destroy."], 1)
    assert before == after  # edited in place: same ids
    moved = [p for p in sandbox.posts() if p["publishDate"] == "2031-03-05T16:00:00.000Z"]
    assert len(moved) == 2


def test_editing_one_caption_changes_only_that_post(sandbox, plan):
    def edit(doc):
        doc["posts"][0]["caption"] = "Clip 1: new words & more"

    before, after, out = _single_change(plan, sandbox, edit, [
        "Plan: 0 to add, 2 to change, 0 to destroy.",
        'content: "Clip 1: bases de datos sin miedo #shorts" → "Clip 1: new words & more"'], 1)
    assert before == after
    contents = sorted(p["content"] for p in sandbox.posts())
    assert contents.count("Clip 1: new words & more") == 2


def test_editing_one_setting_changes_only_that_post(sandbox, plan):
    def edit(doc):
        doc["posts"][2]["overrides"] = {"x-main": {"settings": {"who_can_reply_post": "following"}}}

    # Current main changes settings with the uncounted PUT; v2.23.0 has no such route.
    expected_hits = 0 if sandbox.compat == "main" else 1
    before, after, out = _single_change(plan, sandbox, edit, [
        "~ clip-03@x-main", 'settings.who_can_reply_post: "everyone" → "following"',
        "Plan: 0 to add, 1 to change, 0 to destroy."], expected_hits)
    assert before == after
    assert "clip-03@tiktok-main" not in out


def test_removing_one_post_deletes_only_it(sandbox, plan):
    def edit(doc):
        del doc["posts"][0]

    before, after, out = _single_change(plan, sandbox, edit, [
        "- clip-01@tiktok-main", "- clip-01@x-main", "Plan: 0 to add, 0 to change, 2 to destroy."], 0)
    assert len(before - after) == 2 and after < before


def test_adding_one_post_creates_only_it(sandbox, plan):
    def edit(doc):
        doc["posts"].append(plan.post(4))

    before, after, out = _single_change(plan, sandbox, edit, [
        "+ clip-04@tiktok-main", "+ clip-04@x-main", "Plan: 2 to add, 0 to change, 0 to destroy."], 1)
    assert before < after and len(after - before) == 2


def test_unowned_post_in_the_window_is_untouched(sandbox, plan):
    from planner.postiz.client import PostizClient
    from planner.postiz.models import PostEntry
    from planner.reconcile.normalize import instant

    client = PostizClient(sandbox.api_url, sandbox.api_key)
    channel = next(c for c in client.list_channels() if c.name == "x-main")
    # Between two of the plan's posts (at one of its slots it would block the plan's own post).
    client.create_posts(instant(at(1, 9)) + timedelta(minutes=30), [PostEntry(channel.id, "someone else's post",
                                                     settings={"who_can_reply_post": "everyone"})])
    _apply(plan)
    # Dropping one post deletes only what the plan owns for it...
    del plan.doc["posts"][0]
    plan.save()
    assert _apply(plan, "--allow-mass-delete").exit_code == 0
    assert "someone else's post" in [p["content"] for p in sandbox.posts()]
    # ...and destroying the whole plan leaves the unowned post alone.
    result = run("destroy", str(plan), "--auto-approve")
    assert result.exit_code == 0, result.output + result.error
    remaining = sandbox.posts()
    assert [p["content"] for p in remaining] == ["someone else's post"]


def test_an_empty_plan_is_refused_and_destroy_is_the_way(sandbox, plan):
    _apply(plan)
    owned = len(sandbox.posts())
    del plan.doc["posts"][:]
    plan.save()
    for command in ("diff", "apply"):
        result = run(command, str(plan), *(["--auto-approve"] if command == "apply" else []))
        assert result.exit_code == 1
        assert "posts: the plan has no posts" in result.error and "cliper-sched destroy" in result.error
    assert len(sandbox.posts()) == owned


def test_a_media_file_changed_since_planning_is_refused_before_any_change(sandbox, plan):
    _apply(plan)
    before = sandbox.posts()
    video = plan.workspace / "output" / "ep12" / "2.mp4"
    video.write_bytes(video.read_bytes() + b"re-exported")
    plan.doc["posts"][0]["caption"] = "a change that must not go out with an unreviewed video"
    plan.save()
    result = _apply(plan)
    assert result.exit_code == 1
    assert "posts[1].media.sha256" in result.error and "changed since the plan was made" in result.error
    assert sandbox.posts() == before


def test_unknown_channel_is_a_clear_error(sandbox, plan):
    plan.doc["posts"][0]["channels"] = ["tiktok-mian"]
    plan.save()
    result = run("diff", str(plan))
    assert result.exit_code == 1
    assert "unknown channel 'tiktok-mian'" in result.error
    assert "posts[0].channels" in result.error
    assert "x-main" in result.error  # the hint lists what exists
    assert "Traceback" not in result.error


def test_media_is_uploaded_once_per_sha256_and_reused(sandbox, plan):
    # A fault that never fires counts the matching requests ("seen").
    sandbox.fault(method="POST", path="/public/v1/upload", action="error", nth=10_000)
    plan.doc["posts"][1]["media"] = plan.doc["posts"][0]["media"]  # two posts, one video
    plan.save()
    assert _apply(plan).exit_code == 0
    uploads = lambda: sandbox.control("GET", "faults")["faults"][0]["seen"]  # noqa: E731
    assert uploads() == 2  # 6 posts, 2 distinct files
    assert len(plan.state()["media"]) == 2
    plan.doc["posts"][0]["caption"] = "new caption, same video"
    plan.save()
    edited = _apply(plan)
    assert "0 added, 2 changed, 0 destroyed" in edited.output, edited.output
    assert uploads() == 2  # the edit reuses the uploaded file


def test_a_plan_made_from_flags_alone_applies_to_every_provider(sandbox, tmp_path):
    """Postiz refuses YouTube, TikTok, Instagram, X... posts without their settings: the
    documented defaults fill them, shown in the diff, and every post is accepted."""
    from support.workspaces import make_workspace

    ws = make_workspace(tmp_path / "all", clips=2)
    plan_path = tmp_path / "plans" / "all.yaml"
    channels = "tiktok-main,youtube-shorts,instagram-reels,x-main,linkedin-page"
    made = run("plan", str(ws.root), "--start", "2031-05-01 09:00", "--interval", "4h",
               "--channels", channels, "--timezone", "Europe/Madrid", "-o", str(plan_path))
    assert made.exit_code == 0, made.error
    shown = run("diff", str(plan_path))
    assert "settings.title:" in shown.output and "settings.privacy_level:" in shown.output
    result = run("apply", str(plan_path), "--auto-approve")
    assert result.exit_code == 0, result.output + result.error
    assert "Apply complete! 10 added" in result.output
    assert len(sandbox.posts()) == 10
    assert "No changes. Postiz matches the plan." in run("apply", str(plan_path), "--auto-approve").output


def test_a_channel_name_with_a_line_break_keeps_a_readable_state(sandbox_main, plan):
    # Channel names come from the social account; the state file must read back what it wrote.
    sandbox_main.controls.add_channel("linkedin", "canal\nfin")
    for post in plan.doc["posts"]:
        post["channels"] = ["canal\nfin"]
    plan.save()
    first = _apply(plan)
    assert first.exit_code == 0, first.output + first.error
    assert "clip-01@canal\nfin" in plan.state()["posts"]
    again = _apply(plan)
    assert again.exit_code == 0, again.output + again.error
    assert "No changes. Postiz matches the plan." in again.output
    assert len(sandbox_main.posts()) == 3
