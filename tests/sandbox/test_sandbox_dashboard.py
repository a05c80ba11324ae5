"""The simulated dashboard (editor save, calendar drag, duplicate) and the `Date` header,
as traced in the Postiz source (docs/postiz-api.md §4.3, §17.1, §19)."""

from __future__ import annotations

import email.utils
import json
import re
from datetime import UTC, datetime, timedelta

import pytest
import requests

from planner.sandbox.controls import ControlError
from support.sandbox import PublicApi, running_sandbox

MARKER = "ep12/clip-01@x-main"
X_SETTINGS = {"who_can_reply_post": "everyone", "cliper_sched": MARKER,
              "someone_elses_key": {"nested": [1, "two"]}}
IMF_FIXDATE = re.compile(r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) "
                         r"\d{4} \d\d:\d\d:\d\d GMT$")


@pytest.fixture(params=["main", "v2.23.0"])
def both(tmp_path, request):
    with running_sandbox(tmp_path, compat=request.param) as sb:
        yield PublicApi(sb)


def _row(api: PublicApi, post_id: str) -> dict:
    return next(r for r in api.controls.rows() if r["id"] == post_id)


def _settings(row: dict) -> dict:
    return json.loads(row["settings"])


def _thread(api: PublicApi, settings=None, **extra) -> tuple[str, dict]:
    entry = api.entry("x-main", settings=dict(settings or X_SETTINGS), **extra)
    entry["value"] = [{"content": "root", "image": []}, {"content": "reply", "image": []}]
    post_id = api.create(entry).json()[0]["postId"]
    return post_id, _row(api, post_id)


# -- editor save ----------------------------------------------------------------------

def test_dashboard_edit_keeps_the_marker_and_every_unknown_key_keeps_the_id_rotates_the_group(both):
    post_id, before = _thread(both)
    edited = both.controls.dashboard_edit(post_id, content="caption fixed in the dashboard")
    after = _row(both, post_id)
    assert edited["id"] == after["id"] == post_id
    # The editor saves its HTML: a <p> per line.
    assert after["group"] != before["group"] and after["content"] == "<p>caption fixed in the dashboard</p>"
    assert _settings(after) == {**X_SETTINGS, "__type": "x"}
    assert after["publishDate"] == before["publishDate"] and after["state"] == before["state"]
    reply = next(r for r in both.controls.live_rows() if r["parent_id"] == post_id)
    assert reply["group"] == after["group"]  # the thread follows the root
    assert [p["id"] for p in both.listing()] == [post_id]  # nothing swept, nothing added


def test_dashboard_edit_merges_changed_settings_into_the_stored_ones(both):
    post_id, _ = _thread(both)
    both.controls.dashboard_edit(post_id, settings={"who_can_reply_post": "following"})
    assert _settings(_row(both, post_id)) == {**X_SETTINGS, "who_can_reply_post": "following", "__type": "x"}


def test_main_lists_the_kept_marker_after_a_dashboard_edit(api):
    post_id, _ = _thread(api)
    api.controls.dashboard_edit(post_id, content="edited", date="2030-01-02T10:00:00Z")
    listed = api.by_id()[post_id]
    assert json.loads(listed["settings"])["cliper_sched"] == MARKER
    assert listed["publishDate"] == "2030-01-02T10:00:00.000Z"


def test_dashboard_edit_can_drop_unknown_keys_as_another_client_would(both):
    post_id, before = _thread(both)
    both.controls.dashboard_edit(post_id, content="rebuilt", drop_unknown_settings=True)
    after = _row(both, post_id)
    assert _settings(after) == {"who_can_reply_post": "everyone", "__type": "x"}
    assert after["id"] == post_id and after["group"] != before["group"]
    # The raw control takes the option in its body too.
    response = requests.post(f"{both.sb.base_url}/_sandbox/posts/{post_id}/dashboard-edit",
                             json={"settings": {"cliper_sched": MARKER}}, timeout=10)
    assert response.status_code == 200 and _settings(response.json())["cliper_sched"] == MARKER


def test_dashboard_edit_of_an_unknown_post_is_a_404(api):
    with pytest.raises(ControlError) as refused:
        api.controls.dashboard_edit("cnothere000000000000000000", content="x")
    assert refused.value.status == 404


# -- calendar drag and drop --------------------------------------------------------

def test_drag_changes_only_the_date(both):
    post_id, before = _thread(both)
    moved = both.controls.drag(post_id, "2030-01-05T18:30:00Z")
    after = _row(both, post_id)
    assert moved == after
    assert after["publishDate"] == "2030-01-05T18:30:00.000Z"
    for key in ("id", "group", "content", "settings", "state", "image", "channel_id", "creation_method"):
        assert after[key] == before[key], key
    assert _settings(after)["cliper_sched"] == MARKER
    listed = both.by_id()[post_id]
    assert listed["group"] == before["group"] and listed["publishDate"] == "2030-01-05T18:30:00.000Z"


def test_drag_schedules_like_the_calendar_and_update_moves_the_date_alone(both):
    draft = both.create(both.entry("linkedin-page", content="a draft"), type="draft").json()[0]["postId"]
    assert both.controls.drag(draft, "2030-01-06T10:00:00Z")["state"] == "DRAFT"  # a draft stays one

    published, _ = _thread(both)
    both.controls.publish_post(published)
    before = _row(both, published)
    assert before["state"] == "PUBLISHED" and before["release_url"]
    kept = both.controls.drag(published, "2030-01-07T10:00:00Z", action="update")
    assert (kept["state"], kept["release_url"]) == ("PUBLISHED", before["release_url"])
    requeued = both.controls.drag(published, "2030-01-08T10:00:00Z")  # "schedule": publish it again
    assert (requeued["state"], requeued["release_url"], requeued["release_id"]) == ("QUEUE", None, None)
    assert requeued["group"] == before["group"] and requeued["settings"] == before["settings"]


@pytest.mark.parametrize("body, status", [({}, 400), ({"date": "01/09/2030 10:00"}, 400),
                                          ({"date": "2030-01-01T10:00:00Z", "action": "move"}, 400)])
def test_drag_refuses_a_missing_or_bad_date_or_action(api, body, status):
    post_id, before = _thread(api)
    with pytest.raises(ControlError) as refused:
        api.controls.call("POST", f"posts/{post_id}/drag", body)
    assert refused.value.status == status
    assert _row(api, post_id) == before


# -- duplicate ---------------------------------------------------------------------------

def test_duplicate_copies_content_media_and_channel_but_no_settings(both):
    media = [{"id": "m1", "path": "http://127.0.0.1/uploads/2030/01/01/abc.png"}]
    post_id = both.create(both.entry("linkedin-page", content="with a picture", image=media,
                                     settings={"cliper_sched": MARKER})).json()[0]["postId"]
    original = _row(both, post_id)
    copy = both.controls.duplicate(post_id)
    assert copy["id"] != post_id and copy["group"] != original["group"]
    assert (copy["content"], copy["image"], copy["channel_id"]) == (
        original["content"], original["image"], original["channel_id"])
    assert json.loads(copy["image"]) == media
    assert _settings(copy) == {"__type": "linkedin"}  # no marker: the editor copies no settings
    assert (copy["state"], copy["creation_method"]) == ("QUEUE", "WEB")
    assert copy["publishDate"] == original["publishDate"]
    assert _row(both, post_id) == original  # the original is untouched
    listed = both.by_id()
    assert set(listed) == {post_id, copy["id"]}
    assert listed[copy["id"]]["content"] == "with a picture"


def test_duplicate_at_another_date_copies_the_whole_thread(both):
    post_id, original = _thread(both)
    copy = both.controls.duplicate(post_id, date="2030-02-01T09:00:00Z")
    assert copy["publishDate"] == "2030-02-01T09:00:00.000Z"
    rows = [r for r in both.controls.live_rows() if r["group"] == copy["group"]]
    assert sorted(r["content"] for r in rows) == ["reply", "root"]
    reply = next(r for r in rows if r["content"] == "reply")
    assert reply["parent_id"] == copy["id"] and _settings(reply) == {"__type": "x"}
    assert _row(both, post_id)["group"] == original["group"]


def test_duplicate_of_an_unknown_post_is_a_404(api):
    with pytest.raises(ControlError) as refused:
        api.controls.duplicate("cnothere000000000000000000")
    assert refused.value.status == 404


# -- the Date header ------------------------------------------------------------------

def _dates(response: requests.Response) -> list[str]:
    return response.raw.headers.getlist("Date")


def _date(response: requests.Response) -> datetime:
    values = _dates(response)
    assert len(values) == 1, values  # exactly one Date header
    assert IMF_FIXDATE.match(values[0]), values[0]
    return email.utils.parsedate_to_datetime(values[0])


@pytest.mark.parametrize("compat", ["main", "v2.23.0"])
def test_the_date_header_follows_the_sandbox_clock_on_every_answer(tmp_path, compat):
    with running_sandbox(tmp_path, compat=compat) as sb:
        api = PublicApi(sb)
        real = datetime.now(UTC)
        assert abs((_date(api.get("/integrations")) - real).total_seconds()) < 5

        api.controls.advance(3 * 86400)
        ahead = real + timedelta(days=3)
        answers = [
            api.get("/integrations"),                                        # 200
            api.get("/posts", params={"startDate": "2030-01-01"}),           # 400
            requests.get(f"{sb.api_url}/public/v1/integrations", timeout=10),  # 401
            api.put("/posts/nothere/settings", json={"settings": {}}),      # 404 either way
            requests.get(f"{sb.base_url}/_sandbox/clock", timeout=10),       # a control
            requests.get(f"{sb.base_url}/_sandbox/nothing", timeout=10),     # an unknown control
        ]
        for response in answers:
            assert abs((_date(response) - ahead).total_seconds()) < 5, (response.url, _dates(response))

        api.controls.set_clock("2031-06-15T12:34:56.789Z")
        fixed = _date(requests.get(f"{sb.base_url}/_sandbox/clock", timeout=10))
        assert datetime(2031, 6, 15, 12, 34, 56, tzinfo=UTC) <= fixed <= datetime(2031, 6, 15, 12, 35, 1, tzinfo=UTC)


def test_a_dashboard_save_stores_the_editors_paragraphs_even_when_the_text_is_unchanged(both):
    """add.edit.modal.tsx opens plain text as a `<p>` per line; the editor saves its HTML."""
    post_id, _ = _thread(both)
    plain = _row(both, post_id)["content"]
    assert "<p>" not in plain
    both.controls.dashboard_edit(post_id, settings={"extra": 1})
    assert _row(both, post_id)["content"] == "".join(f"<p>{line}</p>" for line in plain.split("\n"))
    both.controls.dashboard_edit(post_id, content="a & b\n\nc", raw_content=False)
    assert _row(both, post_id)["content"] == "<p>a &amp; b</p><p></p><p>c</p>"
    both.controls.dashboard_edit(post_id, content="kept as sent", raw_content=True)
    assert _row(both, post_id)["content"] == "kept as sent"
