"""Postiz holds the truth: ownership is proven in Postiz (the marker) or by a signature
the pull-request author cannot forge; the state file is only a cache.

Every test drives the installed `cliper-sched` against a sandbox on 127.0.0.1, on
both Postiz versions where the behaviour applies (v2.23.0 lists no settings, so no
marker can be seen there).
"""

from __future__ import annotations

import json
import os
import shutil
import time
from datetime import UTC, datetime, timedelta

from planner.postiz.client import PostizClient
from planner.postiz.models import PostEntry
from support.cli import Terminal, popen
from support.reconcile_helpers import MP4, PlanFile, at, run, run_subprocess


def _apply(plan, *extra):
    return run("apply", str(plan), "--auto-approve", *extra)


def _channel_id(box, name: str) -> str:
    return next(c["id"] for c in box.controls.channels() if c["name"] == name)


def _row(box, plan, address: str) -> dict:
    post_id = plan.state()["posts"][address]["post_id"]
    return next(p for p in box.posts() if p["id"] == post_id)


def _foreign_posts(box, count: int, channel: str = "x-main") -> list[str]:
    """Posts another API client made (no marker): never ours to touch."""
    client = PostizClient(box.api_url, box.api_key)
    ids = []
    for i in range(count):
        when = datetime(2031, 4, 1, 10, tzinfo=UTC) + timedelta(hours=i)
        entry = PostEntry(integration_id=_channel_id(box, channel), content=f"someone else's post {i}",
                          settings={"who_can_reply_post": "everyone"} if channel == "x-main" else {})
        ids += [post_id for post_id, _ in client.create_posts(when, [entry])]
    return ids


def _snapshot(box, ids) -> dict:
    return {p["id"]: (p["content"], p["publishDate"], p["settings"]) for p in box.posts() if p["id"] in ids}


def test_lost_state_then_a_caption_edit_in_the_plan_is_applied_not_called_drift(sandbox_main, plan):
    """Fresh CI checkout: no state file. The marker's fingerprint says Postiz still holds
    what was applied, so the plan's change is a change."""
    box = sandbox_main
    _apply(plan)
    plan.state_path.unlink()
    plan.doc["posts"][0]["caption"] = "Caption rewritten in the plan"
    plan.save()
    diff = run("diff", str(plan), "--detailed-exitcode")
    assert diff.exit_code == 2, diff.output
    assert "~ clip-01@tiktok-main" in diff.output and "~ clip-01@x-main" in diff.output
    assert "drift" not in diff.output.lower() and "kept" not in diff.output
    result = _apply(plan)
    assert result.exit_code == 0, result.output + result.error
    contents = sorted(p["content"] for p in box.posts())
    assert contents.count("Caption rewritten in the plan") == 2 and len(contents) == 6
    assert "No changes" in run("diff", str(plan)).output


def test_a_dashboard_edit_without_a_state_file_is_still_drift(sandbox_main, plan):
    box = sandbox_main
    _apply(plan)
    post_id = plan.state()["posts"]["clip-02@x-main"]["post_id"]
    box.controls.dashboard_edit(post_id, content="fixed a typo in the dashboard")
    plan.state_path.unlink()
    diff = run("diff", str(plan), "--detailed-exitcode")
    assert "! clip-02@x-main was edited in Postiz: kept" in diff.output, diff.output
    assert diff.exit_code == 2 and "No changes" in diff.output  # drift: CI notices it
    _apply(plan)
    assert any(p["content"] == "<p>fixed a typo in the dashboard</p>" for p in box.posts())


def test_a_crafted_state_naming_posts_never_made_deletes_and_overwrites_nothing(sandbox, plan):
    """A pull request adds state entries for foreign posts: addresses gone from the plan
    (would be deletes), addresses in the plan (would be overwrites), and padding to slip
    under the mass-delete guard. Their signatures cannot verify: nothing happens to them."""
    box = sandbox
    _apply(plan)
    foreign = _foreign_posts(box, 4)
    before = _snapshot(box, foreign)
    data = plan.state()
    template = data["posts"]["clip-01@x-main"]
    for i, post_id in enumerate(foreign[:2]):
        data["posts"][f"gone-{i}@x-main"] = {**template, "post_id": post_id}
    data["posts"]["clip-03@x-main"] = {**template, "post_id": foreign[2], "mac": "0" * 64}
    for i in range(40):
        data["posts"][f"pad-{i}@x-main"] = {**template, "post_id": f"fake{i:021d}"}
    plan.state_path.write_text(json.dumps(data))
    result = _apply(plan)
    assert result.exit_code == 0, result.output + result.error
    assert "not signed with this API key: ignored" in result.output
    assert "to destroy" not in result.output and "deleted" not in result.output
    assert _snapshot(box, foreign) == before
    assert len(box.posts()) == 6 + 4
    assert "No changes" in run("diff", str(plan)).output


def test_a_crafted_media_map_is_not_used(sandbox, plan):
    """The state's media map names another upload for a clip's sha256: apply uploads the
    reviewed file again instead of attaching whatever the state names."""
    box = sandbox
    (plan.root / "private.mp4").write_bytes(MP4 + b"private")
    planted = PostizClient(box.api_url, box.api_key).upload(plan.root / "private.mp4")
    _apply(plan)
    data = plan.state()
    media = plan.doc["posts"][0]["media"]
    data["media"][media["sha256"]] = {"id": planted.id, "path": planted.path, "mac": "f" * 64}
    plan.state_path.write_text(json.dumps(data))
    extra = plan.post(4)
    extra["media"] = media  # a new post of the same clip: its upload is looked up by sha256
    plan.doc["posts"].append(extra)
    plan.save()
    result = _apply(plan)
    assert result.exit_code == 0, result.output + result.error
    assert "uploaded 1.mp4" in result.output
    new = [p for p in box.posts() if p["content"].startswith("Clip 4")]
    assert len(new) == 2
    for row in new:
        paths = [m["path"] for m in json.loads(row["image"] or "[]")]
        assert paths and planted.path not in paths, paths


def test_two_plans_with_one_name_or_nested_names_never_touch_each_other(sandbox, tmp_path):
    box = sandbox
    first = PlanFile(tmp_path / "a", name="promo")
    second = PlanFile(tmp_path / "b", name="promo")  # same display name, another plan (id)
    third = PlanFile(tmp_path / "c", name="promo-week2")
    third.doc["name"] = "promo/week2"
    for other, day in ((second, 5), (third, 9)):
        for i, post in enumerate(other.doc["posts"]):
            post["at"] = at(day, 8 + i)
        other.save()
    for p in (first, second, third):
        assert _apply(p).exit_code == 0
    assert len(box.posts()) == 18
    ours = {p["id"] for p in box.posts()}
    second_ids = {o["post_id"] for o in second.state()["posts"].values()}
    destroyed = run("destroy", str(second), "--auto-approve")
    assert destroyed.exit_code == 0, destroyed.output + destroyed.error
    assert {p["id"] for p in box.posts()} == ours - second_ids
    for p in (first, third):
        p.state_path.unlink()  # without a cache too: each finds only its own
        out = run("diff", str(p))
        assert "No changes" in out.output, out.output


def test_two_checkouts_racing_converge_and_diff_names_the_duplicates(sandbox_main, tmp_path):
    """Two machines (own checkout, cache and temp folder each) apply one plan at once:
    both create. diff names the duplicates; the next apply deletes the extras."""
    box = sandbox_main
    one = PlanFile(tmp_path / "one")
    two = tmp_path / "two"
    shutil.copytree(one.root, two)
    # Each create takes 2 s in Postiz: both runs read an empty Postiz before either lands.
    box.controls.add_fault("POST", "/public/v1/posts", "delay", seconds=2, count=10)
    procs = []
    for root in (one.root, two):
        env = {"CLIPER_SCHED_CACHE_DIR": str(root / "cache"), "TMPDIR": str(root)}
        procs.append(popen("apply", str(root / "plans" / "ep12.yaml"), "--auto-approve", env=env,
                           stdout=open(root / "out.txt", "w"), stderr=open(root / "err.txt", "w")))
    for proc in procs:
        assert proc.wait(timeout=120) == 0, (one.root / "err.txt").read_text() + (two / "err.txt").read_text()
    box.controls.clear_faults()
    assert len(box.posts()) == 12
    diff = run("diff", str(one))
    assert "duplicate of post" in diff.output and "6 to destroy" in diff.output, diff.output
    hits = box.hits()
    healed = _apply(one)
    assert healed.exit_code == 0 and box.hits() == hits  # deletes are not counted
    markers = [json.loads(p["settings"])["cliper_sched"].rsplit(":", 1)[1] for p in box.posts()]
    assert sorted(markers) == sorted(set(markers)) and len(markers) == 6
    assert "No changes" in run("diff", str(two / "plans" / "ep12.yaml")).output


def test_two_checkouts_on_one_machine_share_the_lock(sandbox_main, tmp_path):
    one = PlanFile(tmp_path / "one")
    two = tmp_path / "two"
    shutil.copytree(one.root, two)
    sandbox_main.controls.add_fault("POST", "/public/v1/posts", "delay", seconds=3)
    first = popen("apply", str(one), "--auto-approve", env={"CLIPER_SCHED_CACHE_DIR": str(one.root / "cache")})
    time.sleep(1.5)
    second = run_subprocess("apply", str(two / "plans" / "ep12.yaml"), "--auto-approve",
                            env={"CLIPER_SCHED_CACHE_DIR": str(two / "cache")})
    assert first.wait(timeout=60) == 0
    assert second.returncode == 1 and "another cliper-sched run is applying this plan" in second.stderr
    assert len(sandbox_main.posts()) == 6


def test_kill_during_an_edit_on_v2_23_0_converges(sandbox_factory, env, plan):
    """The edit lands after the tool was killed: the next run reads it back and records it,
    instead of calling the tool's own edit a dashboard edit and keeping it for ever."""
    box = sandbox_factory(compat="v2.23.0")
    env(box)
    _apply(plan)
    plan.doc["posts"][1]["caption"] = "Edited in the plan, sent while the tool dies"
    plan.doc["posts"][1]["at"] = at(2, 15)
    # A settings change too: v2.23.0 does not list settings, so only the journal can say it took.
    plan.doc["posts"][1]["overrides"] = {"x-main": {"settings": {"who_can_reply_post": "following"}}}
    plan.save()
    box.controls.add_fault("POST", "/public/v1/posts", "delay", seconds=2)
    proc = popen("apply", str(plan), "--auto-approve")
    deadline = time.monotonic() + 30
    while not any(f["fired"] for f in box.controls.faults()) and time.monotonic() < deadline:
        time.sleep(0.05)
    proc.kill()
    proc.wait()
    time.sleep(2.5)  # the held edit lands in Postiz
    assert sum(p["content"] == "Edited in the plan, sent while the tool dies" for p in box.posts()) == 2
    diff = run("diff", str(plan), "--detailed-exitcode")
    assert "drift" not in diff.output.lower(), diff.output
    again = _apply(plan)
    assert again.exit_code == 0, again.output + again.error
    assert "the interrupted edit did reach Postiz" in again.output
    assert len(box.posts()) == 6
    plan.doc["posts"][1]["caption"] = "A later plan change is applied"
    plan.save()
    later = run("diff", str(plan), "--detailed-exitcode")
    assert later.exit_code == 2 and "~ clip-02@" in later.output


def test_lost_state_and_a_caption_edit_on_v2_23_0_never_makes_a_second_post(sandbox_factory, env, plan):
    """v2.23.0 lists no settings: the edited post cannot be told from someone else's post.
    Refuse (report, hint `import`), never create a second one; destroy leaves no plan post."""
    box = sandbox_factory(compat="v2.23.0")
    env(box)
    _apply(plan)
    plan.state_path.unlink()
    plan.doc["posts"][2]["caption"] = "A new caption, state lost"
    plan.save()
    result = _apply(plan)
    assert result.exit_code == 4, result.output + result.error  # finished, but not all applied
    assert "Not created: a post without this plan's marker sits at that channel and time: 2" in result.output
    assert len(box.posts()) == 6
    destroy = run("destroy", str(plan), "--auto-approve")
    assert destroy.exit_code == 4 and "not deleted" in destroy.output and "--match-time" in destroy.output
    assert len(box.posts()) == 2
    imported = run("import", str(plan), "--force", "--match-time")
    assert imported.exit_code == 0 and "Imported 2 post(s)" in imported.output, imported.output
    assert run("destroy", str(plan), "--auto-approve").exit_code == 0
    assert box.posts() == []


def test_the_server_is_known_by_what_it_holds_not_how_its_url_is_spelt(sandbox, plan, monkeypatch):
    _apply(plan)
    hits = sandbox.hits()
    for url in (sandbox.api_url.replace("127.0.0.1", "localhost"), sandbox.api_url + "/"):
        monkeypatch.setenv("POSTIZ_API_URL", url)
        result = _apply(plan)
        assert result.exit_code == 0, result.error
        assert "No changes" in result.output
    assert sandbox.hits() == hits


def test_a_channel_renamed_in_postiz_is_followed_by_id_with_a_warning(sandbox, plan):
    _apply(plan)
    sandbox.controls.update_channel(_channel_id(sandbox, "x-main"), name="X (new display name)")
    diff = run("diff", str(plan))
    assert diff.exit_code == 0, diff.error
    assert "channel 'x-main' is now called 'X (new display name)' in Postiz" in diff.output
    assert "No changes" in diff.output
    plan.doc["posts"][0]["caption"] = "Still applied after the rename"
    plan.save()
    assert _apply(plan).exit_code == 0
    assert sum(p["content"] == "Still applied after the rename" for p in sandbox.posts()) == 2
    destroyed = run("destroy", str(plan), "--auto-approve")
    assert destroyed.exit_code == 0 and sandbox.posts() == []


def test_a_server_three_days_ahead_gets_no_post_published_early(sandbox, plan, monkeypatch):
    """Times are judged on the server's clock (its Date header), which is the one Postiz
    publishes by: posts still future here but past there are refused like past posts."""
    monkeypatch.setenv("CLIPER_SCHED_NOW", "2031-02-27T12:00:00+00:00")  # the plan starts 2 days later
    sandbox.controls.set_clock((datetime.now(UTC) + timedelta(days=3)).isoformat())
    diff = run("diff", str(plan))
    assert "the server's clock is 3.0 days ahead of this machine's" in diff.output, diff.output
    result = _apply(plan)
    assert result.exit_code == 1
    assert "is in the past; Postiz would publish it at once" in result.error
    assert sandbox.posts() == []


def test_a_post_deleted_between_refresh_and_edit_is_reported_deleted(sandbox, plan):
    box = sandbox
    _apply(plan)
    plan.doc["posts"][0]["caption"] = "Edited while someone deletes it"
    plan.save()
    post_id = plan.state()["posts"]["clip-01@x-main"]["post_id"]
    term = Terminal("apply", str(plan), env=dict(os.environ))
    term.wait_for("Enter a value")
    group = next(p["group"] for p in box.posts() if p["id"] == post_id)
    PostizClient(box.api_url, box.api_key).delete_group(group)
    term.type("yes\n")
    result = term.finish()
    assert "clip-01@x-main: deleted in Postiz while this apply ran" in result.output, result.output
    assert "~ clip-01@x-main: updated" not in result.output
    assert post_id not in {p["id"] for p in box.posts()}


def test_a_plan_without_an_id_gets_one_written_by_its_first_apply(sandbox_main, plan):
    """Plans made before plan ids: the first apply that changes Postiz writes the id it
    used into the plan (every other byte kept), so the next run, anywhere, is the same plan."""
    del plan.doc["id"]
    plan.save()
    before = plan.path.read_text()
    diff = run("diff", str(plan))
    assert "the plan has no `id` yet" in diff.output and plan.path.read_text() == before
    result = _apply(plan)
    assert result.exit_code == 0, result.output + result.error
    text = plan.path.read_text()
    added = [line for line in text.splitlines() if line not in before.splitlines()]
    assert len(added) == 1 and added[0].startswith("id: p"), added
    assert text.replace(added[0] + "\n", "") == before
    plan.state_path.unlink()
    assert "No changes" in run("diff", str(plan)).output


def test_posts_of_an_older_cliper_sched_are_adopted_by_import_and_their_markers_upgraded(sandbox_main, plan):
    """Markers written before plan ids (`<name>/<address>`) prove nothing on their own:
    apply refuses to touch or duplicate them; `import` (the user's word) adopts them."""
    box = sandbox_main
    client = PostizClient(box.api_url, box.api_key)
    channel = _channel_id(box, "x-main")
    for post in plan.doc["posts"]:
        post["channels"] = ["x-main"]
        when = datetime.fromisoformat(post["at"])
        client.create_posts(when, [PostEntry(integration_id=channel, content=post["caption"], settings={
            "who_can_reply_post": "everyone", "cliper_sched": f"ep12/{post['key']}@x-main"})])
    plan.save()
    blocked = _apply(plan)
    assert blocked.exit_code == 4
    assert "Not created: a post without this plan's marker sits at that channel and time: 3" in blocked.output
    assert len(box.posts()) == 3
    imported = run("import", str(plan), "--force")
    assert imported.exit_code == 0 and "3 by an older cliper-sched's marker" in imported.output, imported.output
    upgraded = _apply(plan)
    assert upgraded.exit_code == 0 and "ownership marker put back" in upgraded.output, upgraded.output
    markers = [json.loads(p["settings"])["cliper_sched"] for p in box.posts()]
    assert all(m.startswith(f"cs1:{plan.doc['id']}:") for m in markers) and len(box.posts()) == 3


def test_a_plan_made_again_without_its_id_never_duplicates_its_own_posts(sandbox_main, plan):
    """`plan > plans/ep12.yaml` empties the file before it is read, so the new plan has a new
    id: its posts sit exactly where the old plan's posts with the same addresses are."""
    box = sandbox_main
    _apply(plan)
    old_id = plan.doc["id"]
    plan.doc["id"] = "pmadeagain00001"
    plan.save()
    result = _apply(plan)
    assert result.exit_code == 4, result.output + result.error
    assert f"marked by plan id {old_id}: not created again" in result.output
    assert f"put `id: {old_id}` in it" in result.output
    assert len(box.posts()) == 6


def test_a_dashboard_save_stores_paragraphs_and_they_read_as_the_same_text(sandbox_main, plan):
    """The Postiz editor saves a post's text as `<p>` per line even when only a setting or
    nothing was changed: that is not a caption edit, and `pull` writes plain lines back."""
    box = sandbox_main
    plan.doc["posts"][0]["caption"] = "Línea uno & más\n\nLínea tres"
    plan.save()
    _apply(plan)
    post_id = plan.state()["posts"]["clip-01@x-main"]["post_id"]
    box.controls.dashboard_edit(post_id, settings={"who_can_reply_post": "following"})
    stored = next(p for p in box.posts() if p["id"] == post_id)["content"]
    assert stored == "<p>Línea uno &amp; más</p><p></p><p>Línea tres</p>"
    plan.state_path.unlink()
    diff = run("diff", str(plan))
    assert "! clip-01@x-main had its settings edited in Postiz: kept" in diff.output, diff.output
    assert "content:" not in diff.output
    box.controls.dashboard_edit(post_id, content="Corregido en el panel\nsegunda línea")
    assert run("pull", str(plan)).exit_code == 0
    text = plan.path.read_text()
    assert "<p>" not in text and "Corregido en el panel\\nsegunda línea" in text
    assert run("validate", str(plan)).exit_code == 0
    assert "No changes" in run("diff", str(plan)).output
