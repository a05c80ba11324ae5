"""A plan without providers (made with `--channels`) gets validate's provider checks in
diff and apply, with the providers learnt from Postiz: refused before anything is sent."""

from __future__ import annotations

import pytest

from support.reconcile_helpers import at, run


def _watch_changes(sandbox):
    """Counts every request that could change Postiz (faults that never fire count what they see)."""
    for method in ("POST", "PUT", "DELETE"):
        sandbox.fault(method=method, path="*", action="error", nth=10**9)
    return lambda: sum(f["seen"] for f in sandbox.control("GET", "faults")["faults"])


def _line(plan, *marks: str) -> int:
    """YAML line of the last mark, each searched from the line of the one before."""
    lines = plan.path.read_text().splitlines()
    n = 0
    for mark in marks:
        n = next(i for i in range(n, len(lines)) if lines[i].lstrip(" -").startswith(mark))
    return n + 1


def _refused(sandbox, plan, command: str, where: str, message: str) -> str:
    changes = _watch_changes(sandbox)
    result = run(command, str(plan), *(["--auto-approve"] if command == "apply" else []))
    assert result.exit_code == 1, result.output + result.error
    assert f"{plan.path}:{where}: {message}" in result.error, result.error
    assert "hint:" in result.error
    assert sandbox.posts() == []
    assert sandbox.hits() == 0
    assert changes() == 0  # no upload, no settings PUT, no delete either
    return result.error


@pytest.mark.parametrize("command", ["diff", "apply"])
def test_caption_too_long_for_x(sandbox_main, plan, command):
    plan.doc["posts"][1]["caption"] = "x" * 281  # fine on TikTok, one too many for X
    plan.save()
    error = _refused(sandbox_main, plan, command, f"{_line(plan, 'key: clip-02', 'caption:')}: posts[1].caption",
                     "the caption is 281 characters (weighted as X counts it); x allows 280 (on x-main)")
    assert "tiktok-main" not in error


@pytest.mark.parametrize("command", ["diff", "apply"])
def test_youtube_title_over_100_characters(sandbox_main, plan, command):
    plan.doc["posts"][0]["channels"].append("youtube-shorts")
    plan.doc["posts"][0]["overrides"] = {"youtube-shorts": {"settings": {"title": "t" * 101}}}
    plan.save()
    line = _line(plan, "key: clip-01", "youtube-shorts:", "settings:")
    _refused(sandbox_main, plan, command, f"{line}: posts[0].overrides.youtube-shorts.settings",
             "title must be at most 100 characters (has 101) (post clip-01 on youtube-shorts)")


@pytest.mark.parametrize("command", ["diff", "apply"])
def test_two_posts_on_one_channel_in_the_same_minute(sandbox_main, plan, command):
    plan.doc["posts"][1]["at"] = at(1, 8).replace(":00:00-", ":00:30-")  # clip-01's minute
    plan.save()
    _refused(sandbox_main, plan, command, f"{_line(plan, 'key: clip-02', 'at:')}: posts[1].at",
             "clip-01 is already at 2031-03-01T08:00:00-06:00: two posts in the same minute "
             "(on tiktok-main, x-main)")


@pytest.mark.parametrize("command", ["diff", "apply"])
def test_one_channel_named_two_ways_is_one_channel(sandbox_main, plan, command):
    """By name in one post, by integration id in the next: still one channel in Postiz."""
    x_id = next(c["id"] for c in sandbox_main.control("GET", "channels") if c["name"] == "x-main")
    plan.doc["posts"][1]["channels"] = [x_id]
    plan.doc["posts"][1]["at"] = plan.doc["posts"][0]["at"]
    plan.save()
    _refused(sandbox_main, plan, command, f"{_line(plan, 'key: clip-02', 'at:')}: posts[1].at",
             f"clip-01 is already at 2031-03-01T08:00:00-06:00: two posts in the same minute (on {x_id})")


@pytest.mark.parametrize("command", ["diff", "apply"])
def test_setting_the_provider_does_not_allow(sandbox_main, plan, command):
    # A channels section without providers, as a hand-edited `--channels` plan has.
    plan.doc = {"channels": {"x-main": {"settings": {"who_can_reply_post": "anyone"}}}, **plan.doc}
    plan.save()
    _refused(sandbox_main, plan, command, f"{_line(plan, 'channels:', 'x-main:', 'settings:')}: "
             "channels.x-main.settings", "who_can_reply_post: 'anyone' is not allowed; use one of everyone")


def test_posts_apply_leaves_alone_are_not_checked(sandbox_main, plan):
    """A published post is history: apply never sends it again, so its caption (or its
    time, now past) cannot stop the edits that do go out."""
    assert run("apply", str(plan), "--auto-approve").exit_code == 0
    sandbox_main.control("POST", "clock", {"now": "2031-03-01T14:30:00.000Z"})  # clip-01 is due
    sandbox_main.control("POST", "publish")
    plan.doc["posts"][0]["caption"] = "x" * 281  # too long for X, but never sent
    plan.doc["posts"][2]["caption"] = "Clip 3, edited"
    plan.save()
    for command in ("diff", "apply"):
        result = run(command, str(plan), *(["--auto-approve"] if command == "apply" else []))
        assert result.exit_code == 0, result.output + result.error
    assert "0 added, 2 changed, 0 destroyed" in result.output
    assert sum(p["content"] == "Clip 3, edited" for p in sandbox_main.posts()) == 2
