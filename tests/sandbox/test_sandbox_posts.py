"""POST/GET/DELETE/PUT /posts semantics (docs/postiz-api.md §7-§10, §12) and the simulated lifecycle."""

from __future__ import annotations

import json

from support.sandbox import PublicApi

YT_SETTINGS = {"title": "Clip 7", "type": "public"}
MP4_MEDIA = [{"id": "m1", "path": "http://127.0.0.1/uploads/2030/01/01/abc.mp4"}]
TIKTOK_OK = {"privacy_level": "PUBLIC_TO_EVERYONE", "duet": False, "stitch": False, "comment": True,
             "autoAddMusic": "no", "brand_content_toggle": False, "brand_organic_toggle": False,
             "content_posting_method": "DIRECT_POST"}


def test_create_two_channels_one_group_each_in_request_order(api):
    response = api.create(api.entry("x-main", settings={"who_can_reply_post": "everyone"}),
                          api.entry("linkedin-page"))
    assert response.status_code == 201
    result = response.json()
    assert [r["integration"] for r in result] == [api.channels["x-main"], api.channels["linkedin-page"]]
    assert all(len(r["postId"]) == 25 and r["postId"].startswith("c") for r in result)
    listed = api.by_id()
    groups = {listed[r["postId"]]["group"] for r in result}
    assert len(groups) == 2
    post = listed[result[0]["postId"]]
    assert post["publishDate"] == "2030-01-01T10:00:00.000Z" and post["state"] == "QUEUE"
    assert post["settings"] == '{"who_can_reply_post":"everyone","__type":"x"}'
    assert post["creationMethod"] == "API" and post["tags"] == [] and "image" not in post


def test_client_ids_are_ignored_for_new_rows_and_type_defaults_to_schedule(api):
    entry = api.entry()
    entry["value"][0]["id"] = "my-own-id"
    result = api.create(entry, type=None).json()
    assert result[0]["postId"] != "my-own-id"
    assert api.by_id()[result[0]["postId"]]["state"] == "QUEUE"


def test_window_is_inclusive_roots_only_and_dates_honour_offsets(api):
    thread = api.entry(content="root")
    thread["value"].append({"content": "reply", "image": []})
    root = api.create(thread, date="2030-01-01T10:00:00+02:00").json()[0]["postId"]
    listed = api.listing(start="2030-01-01T08:00:00Z", end="2030-01-01T08:00:00Z")
    assert [p["id"] for p in listed] == [root]
    assert listed[0]["publishDate"] == "2030-01-01T08:00:00.000Z"
    assert api.listing(start="2030-01-01T08:00:01Z", end="2030-01-02") == []
    assert api.listing(start="2030-01-01", end="2030-01-01T07:59:59.999Z") == []
    assert len([r for r in api.controls.rows() if r["content"] == "reply"]) == 1


def test_interval_posts_expand_with_actual_date(api):
    post = api.create(api.entry(), date="2030-01-01T10:00:00Z", inter=7).json()[0]["postId"]
    copies = [p for p in api.listing(start="2030-01-10", end="2030-01-20") if p["id"] == post]
    assert [p["publishDate"] for p in copies] == [
        "2030-01-01T10:00:00.000Z", "2030-01-08T10:00:00.000Z", "2030-01-15T10:00:00.000Z"]
    assert {p["actualDate"] for p in copies} == {"2030-01-01T10:00:00.000Z"}
    assert copies[0]["intervalInDays"] == 7


def test_get_posts_requires_both_dates(api):
    response = api.get("/posts", params={"startDate": "2030-01-01"})
    assert response.status_code == 400
    assert response.json()["message"] == ["endDate must be a valid ISO 8601 date string"]


def test_edit_keeps_id_rotates_group_and_sweeps_unsent_replies(api):
    thread = api.entry(content="root")
    thread["value"].append({"content": "old reply", "image": []})
    post_id = api.create(thread).json()[0]["postId"]
    old_group = api.by_id()[post_id]["group"]
    edit = api.entry(content="root edited", settings={"cliper_id": "ep12/7"}, group=old_group)
    edit["value"][0]["id"] = post_id
    assert api.create(edit, date="2030-01-02T10:00:00Z").json() == [
        {"postId": post_id, "integration": api.channels["linkedin-page"]}]
    listed = api.by_id()[post_id]
    assert listed["group"] != old_group
    assert listed["content"] == "root edited" and listed["publishDate"] == "2030-01-02T10:00:00.000Z"
    assert json.loads(listed["settings"]) == {"cliper_id": "ep12/7", "__type": "linkedin"}
    reply = next(r for r in api.controls.rows() if r["content"] == "old reply")
    assert reply["deletedAt"] is not None and reply["parent_id"] is None


def test_resurrect_trap_deleted_rows_stay_deleted(api):
    post_id = api.create(api.entry()).json()[0]["postId"]
    group = api.by_id()[post_id]["group"]
    assert api.delete(f"/posts/group/{group}").json() == {"error": True}
    edit = api.entry(content="back?", group=group)
    edit["value"][0]["id"] = post_id
    assert api.create(edit).json()[0]["postId"] == post_id
    assert post_id not in api.by_id()
    row = next(r for r in api.controls.rows() if r["id"] == post_id)
    assert row["content"] == "back?" and row["deletedAt"] is not None


def test_deletes_are_group_wide_idempotent_by_group_and_500_by_unknown_id(api):
    first, second = [r["postId"] for r in api.create(api.entry(), api.entry("x-main", settings={
        "who_can_reply_post": "everyone"})).json()]
    assert api.delete(f"/posts/{first}").json() == {"error": True}
    assert set(api.by_id()) == {second}  # the other channel's post is untouched
    again = api.delete(f"/posts/{first}")
    assert (again.status_code, again.json()) == (500, {"statusCode": 500, "message": "Internal server error"})
    assert api.delete("/posts/never-existed").status_code == 500
    assert api.delete("/posts/group/no-such-group").json() == {"error": True}


def test_status_and_settings_routes(api):
    post_id = api.create(api.entry(settings={"cliper_id": "a"})).json()[0]["postId"]
    group = api.by_id()[post_id]["group"]
    assert api.put(f"/posts/{post_id}/status", json={"status": "draft"}).json() == {"id": post_id, "state": "DRAFT"}
    bad = api.put(f"/posts/{post_id}/status", json={"status": "publish"})
    assert bad.json()["message"] == ["status must be one of the following values: draft, schedule"]
    assert api.put("/posts/nope/status", json={"status": "draft"}).json()["message"] == "Post not found"
    response = api.put(f"/posts/{post_id}/settings", json={"settings": {"cliper_hash": "abc"}})
    assert response.json() == {"postId": post_id, "publishDate": "2030-01-01T10:00:00"}
    listed = api.by_id()[post_id]
    assert listed["group"] == group and listed["state"] == "DRAFT"
    assert listed["settings"] == '{"cliper_id":"a","__type":"linkedin","cliper_hash":"abc"}'
    missing = api.put(f"/posts/{post_id}/settings", json={})
    assert missing.json()["message"] == ["settings should not be null or undefined", "settings must be an object"]
    gone = api.put("/posts/nope/settings", json={"settings": {}})
    assert (gone.status_code, gone.json()["message"]) == (404, "Post not found")


def test_settings_update_refused_once_published_or_past(api):
    api.controls.set_clock("2030-01-01T00:00:00Z")
    post_id = api.create(api.entry(), date="2030-01-01T10:00:00Z").json()[0]["postId"]
    api.controls.set_clock("2030-01-01T10:00:01Z")
    api.controls.publish()
    refused = api.put(f"/posts/{post_id}/settings", json={"settings": {"a": 1}})
    assert refused.json()["message"] == "Only scheduled posts that were not published yet (or drafts) can be updated"


def test_validation_family_b_messages_with_paths(api):
    response = api.create(api.entry("youtube-shorts", image=MP4_MEDIA, settings={"type": "public"}))
    assert response.json() == {"message": [
        "posts.0.settings.title should not be null or undefined",
        "posts.0.settings.title must be shorter than or equal to 100 characters",
        "posts.0.settings.title must be longer than or equal to 2 characters",
        "posts.0.settings.title must be a string"], "error": "Bad Request", "statusCode": 400}
    x = api.create(api.entry("linkedin-page"), api.entry("x-main"))
    assert x.json()["message"] == ["posts.1.settings.who_can_reply_post must be one of the following values: "
                                   "everyone, following, mentionedUsers, subscribers, verified"]
    media = api.create(api.entry(image=[{"id": "m", "path": "https://cdn.example.com/clip.mov"}]))
    assert media.json()["message"] == [
        "posts.0.value.0.image.0.File must have a valid extension: .png, .jpg, .jpeg, .gif, .webp, or .mp4"]
    empty = api.create(api.entry(content="<p> </p>"))
    assert empty.json()["message"] == ["posts.0.value.0. If images do not exist, content must be a non-empty string."]
    no_short = api.post("/posts", json={"date": "2030-01-01T10:00:00Z", "tags": [], "posts": [api.entry()]})
    assert no_short.json()["message"] == ["shortLink should not be null or undefined", "shortLink must be a boolean value"]


def test_integration_errors(api):
    missing = api.post("/posts", json={"type": "schedule"})
    assert missing.json() == {"message": "All posts must have an integration id", "error": "Bad Request", "statusCode": 400}
    unknown = api.create(api.entry("no-such-channel"))
    assert unknown.json()["message"] == "Integration with id no-such-channel not found"


def test_family_d_media_and_length(api):
    yt = api.create(api.entry("youtube-shorts", settings=YT_SETTINGS))
    assert yt.json() == {"statusCode": 400, "provider": "youtube", "name": "youtube-shorts",
                         "message": "You need one media"}
    insta = api.create(api.entry("instagram-reels", settings={"post_type": "post"}))
    assert insta.json()["message"] == "Should have at least one media"
    tiktok = api.create(api.entry("tiktok-main", settings=TIKTOK_OK))
    assert tiktok.json()["message"] == "No video / images selected"
    # 1500 emoji are 3000 UTF-16 units: exactly LinkedIn's limit; one more is too long.
    assert api.create(api.entry(content="😀" * 1500)).status_code == 201
    too_long = api.create(api.entry(content="😀" * 1500 + "a"))
    assert too_long.json()["message"] == "post is too long, please fix it"
    # X counts CJK as 2: 141 characters weigh 282 > 280.
    x = api.create(api.entry("x-main", content="日" * 141, settings={"who_can_reply_post": "everyone"}))
    assert x.json() == {"statusCode": 400, "provider": "x", "name": "x-main",
                        "message": "post is too long, please fix it"}


def test_false_string_becomes_true_and_unknown_keys_kept_and_type_overwritten(api):
    settings = {**TIKTOK_OK, "duet": "false", "__type": "youtube", "cliper": {"k": [1]}}
    post_id = api.create(api.entry("tiktok-main", image=MP4_MEDIA, settings=settings)).json()[0]["postId"]
    stored = json.loads(api.by_id()[post_id]["settings"])
    assert stored["duet"] is True and stored["__type"] == "tiktok" and stored["cliper"] == {"k": [1]}


def test_html_is_sanitised_only_when_content_has_a_tag_opener(api):
    a, b = [r["postId"] for r in api.create(api.entry(content="a < b & c <b>bold</b>"),
                                            api.entry(content='Tom & Jerry "q" #x')).json()]
    listed = api.by_id()
    assert listed[a]["content"] == "a &lt; b &amp; c bold"
    assert listed[b]["content"] == 'Tom & Jerry "q" #x'


def test_publishing_past_now_draft_and_broken_channels(api):
    api.controls.set_clock("2030-01-01T09:00:30Z")
    now = api.create(api.entry(content="now"), type="now").json()[0]["postId"]
    past = api.create(api.entry(content="past"), date="2020-01-01T00:00:00Z").json()[0]["postId"]
    draft = api.create(api.entry(content="draft"), type="draft", date="2020-01-01T00:00:00Z").json()[0]["postId"]
    x = api.channels["x-main"]
    api.controls.update_channel(x, refresh_needed=True)
    broken = api.create(api.entry("x-main", settings={"who_can_reply_post": "everyone"}),
                        date="2030-01-01T09:30:00Z").json()[0]["postId"]
    rows = {r["id"]: r for r in api.controls.rows()}
    assert rows[now]["publishDate"] == "2030-01-01T09:00:00.000Z"
    api.controls.advance(3600)
    rows = {r["id"]: r for r in api.controls.rows()}
    assert rows[now]["state"] == rows[past]["state"] == "PUBLISHED"
    assert rows[now]["release_url"].startswith("https://") and rows[now]["release_id"]
    assert rows[draft]["state"] == "DRAFT"
    assert rows[broken]["state"] == "ERROR"


def test_a_stopped_worker_leaves_past_posts_queued_until_it_runs_again(api):
    api.controls.set_clock("2030-01-01T09:00:00Z")
    post = api.create(api.entry(content="due soon"), date="2030-01-01T09:30:00Z").json()[0]["postId"]
    assert api.controls.worker(False) == {"running": False}
    api.controls.advance(3600)
    api.get("/integrations")  # any request: a running worker would publish here
    assert {r["id"]: r for r in api.controls.rows()}[post]["state"] == "QUEUE"
    assert api.controls.worker(True) == {"running": True}
    api.get("/integrations")
    assert {r["id"]: r for r in api.controls.rows()}[post]["state"] == "PUBLISHED"


def test_republish_guard_and_update_keeps_published_state(api):
    api.controls.set_clock("2030-01-01T00:00:00Z")
    post_id = api.create(api.entry()).json()[0]["postId"]
    api.controls.set_clock("2030-01-01T10:00:00Z")
    api.controls.publish()
    group = api.by_id()[post_id]["group"]
    edit = api.entry(content="again", group=group)
    edit["value"][0]["id"] = post_id
    refused = api.create(edit)
    assert refused.json()["message"] == (
        "This post was already published on 2030-01-01 10:00 UTC. Saving it this way would publish it "
        "again to linkedin. To edit without republishing, use type 'update'. To intentionally publish "
        "again, pass republish: true.")
    assert api.create(edit, type="update").status_code == 201
    listed = api.by_id()[post_id]
    assert listed["state"] == "PUBLISHED" and listed["content"] == "again" and listed["releaseURL"]


def test_dashboard_edit_rotates_group_and_keeps_unknown_settings(api):
    post_id = api.create(api.entry("youtube-shorts", image=MP4_MEDIA,
                                   settings={**YT_SETTINGS, "cliper_id": "ep/1"})).json()[0]["postId"]
    before = api.by_id()[post_id]
    api.controls.dashboard_edit(post_id, content="edited in UI", date="2030-01-03T10:00:00Z")
    after = api.by_id()[post_id]
    assert after["group"] != before["group"] and after["content"] == "<p>edited in UI</p>"
    assert after["publishDate"] == "2030-01-03T10:00:00.000Z"
    assert json.loads(after["settings"]) == {"title": "Clip 7", "type": "public", "cliper_id": "ep/1",
                                             "__type": "youtube"}


def test_dashboard_edit_can_simulate_a_client_that_drops_unknown_settings(api):
    post_id = api.create(api.entry("youtube-shorts", image=MP4_MEDIA,
                                   settings={**YT_SETTINGS, "cliper_id": "ep/1"})).json()[0]["postId"]
    api.controls.dashboard_edit(post_id, content="edited elsewhere", drop_unknown_settings=True)
    after = api.by_id()[post_id]
    assert json.loads(after["settings"]) == {"title": "Clip 7", "type": "public", "__type": "youtube"}


def test_create_is_not_atomic_entries_before_a_refused_one_stay_written(api):
    api.controls.set_clock("2030-01-01T00:00:00Z")
    published = api.create(api.entry()).json()[0]["postId"]
    api.controls.set_clock("2030-01-01T10:00:00Z")
    api.controls.publish()
    edit = api.entry(content="republish?", group=api.by_id()[published]["group"])
    edit["value"][0]["id"] = published
    response = api.create(api.entry("x-main", content="first entry", settings={"who_can_reply_post": "everyone"}),
                          edit, date="2030-02-01T10:00:00Z")
    assert response.status_code == 400 and "already published" in response.json()["message"]
    assert [p["content"] for p in api.listing(start="2030-02-01", end="2030-02-02")] == ["first entry"]


def test_concurrent_creates_from_many_threads_all_land_and_all_count(api):
    from concurrent.futures import ThreadPoolExecutor

    def create(n):
        session = PublicApi(api.sb)
        return session.create(session.entry(content=f"thread {n}")).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(create, range(24)))
    assert statuses == [201] * 24
    assert len({r["content"] for r in api.controls.rows()}) == 24
    assert api.controls.ratelimit()["hits"] == 24
