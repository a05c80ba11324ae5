"""Every client method against the sandbox on a real 127.0.0.1 socket."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from planner.postiz.client import PostizClient
from planner.postiz.models import PostEntry
from support.client_helpers import CHANNELS, KEY, channel_ids, control

WHEN = datetime(2031, 3, 4, 10, 0, tzinfo=UTC)
WINDOW = (WHEN - timedelta(days=1), WHEN + timedelta(days=1))
YT = {"title": "Clip 7", "type": "public"}
# ftyp box with the isom brand: what ffmpeg writes, sniffed as video/mp4.
MP4 = b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00isomiso2avc1mp41" + b"\x00" * 64


def test_is_connected(client):
    assert client.is_connected() is True


def test_list_channels_maps_identifier_to_provider(client):
    channels = client.list_channels()
    assert sorted((c.provider, c.name) for c in channels) == sorted(CHANNELS)
    for c in channels:
        assert c.id and not c.disabled and c.customer is None


def test_disabled_channel_and_customer_are_reported(sandbox, client):
    ids = channel_ids(client)
    control(sandbox, "PATCH", f"channels/{ids['x']}",
            {"disabled": True, "customer": {"id": "c-1", "name": "Acme"}})
    x = next(c for c in client.list_channels() if c.provider == "x")
    assert x.disabled is True
    assert x.customer is not None and x.customer.name == "Acme"


def test_channel_settings(client):
    settings = client.channel_settings(channel_ids(client)["youtube"])
    assert settings["maxLength"] == 5000
    assert "title" in settings["settings"]["properties"]


def test_upload_streams_a_file_and_returns_media(client, tmp_path):
    clip = tmp_path / "1.mp4"
    clip.write_bytes(MP4)
    media = client.upload(clip)
    assert media.id and media.path.endswith(".mp4")


def test_create_list_edit_settings_status_delete_round_trip(client):
    ids = channel_ids(client)
    result = client.create_posts(WHEN, [
        PostEntry(ids["linkedin"], "Clip 1 #ep12", settings={"cliper_id": "ep12/1"}),
        PostEntry(ids["x"], "Clip 1 #ep12", settings={"who_can_reply_post": "everyone"}),
    ])
    assert [integration for _, integration in result] == [ids["linkedin"], ids["x"]]
    li_id, x_id = result[0][0], result[1][0]
    assert li_id != x_id

    posts = {p.id: p for p in client.list_posts(*WINDOW)}
    li = posts[li_id]
    assert li.publish_date == WHEN and li.publish_date.tzinfo is not None
    assert li.state == "QUEUE" and li.provider == "linkedin" and li.channel_name == "Acme LinkedIn"
    assert li.settings == {"cliper_id": "ep12/1", "__type": "linkedin"}
    assert li.group != posts[x_id].group  # one group per channel post

    # Edit: same id, new group, new content and date.
    later = WHEN + timedelta(hours=2)
    edited = client.edit_posts(later, [PostEntry(ids["linkedin"], "Clip 1 edited", post_id=li_id,
                                                 group=li.group, settings={"cliper_id": "ep12/1"})])
    assert edited == [(li_id, ids["linkedin"])]
    after = {p.id: p for p in client.list_posts(*WINDOW)}[li_id]
    assert after.content == "Clip 1 edited" and after.publish_date == later
    assert after.group != li.group

    # Settings only: merged, group kept.
    answer = client.update_settings(li_id, {"cliper_hash": "abc"})
    assert answer["postId"] == li_id
    merged = {p.id: p for p in client.list_posts(*WINDOW)}[li_id]
    assert merged.settings["cliper_hash"] == "abc" and merged.settings["cliper_id"] == "ep12/1"
    assert merged.group == after.group

    assert client.set_status(li_id, "draft") == "DRAFT"
    assert {p.id: p for p in client.list_posts(*WINDOW)}[li_id].state == "DRAFT"
    assert client.set_status(li_id, "schedule") == "QUEUE"

    # Deletes: by group (idempotent), by id (False once gone).
    client.delete_group(merged.group)
    client.delete_group(merged.group)
    assert client.delete_post(x_id) is True
    assert client.delete_post(x_id) is False
    assert client.delete_post("no-such-post") is False
    assert client.list_posts(*WINDOW) == []


def test_create_with_media_and_tags_is_one_counted_request(client, sandbox, tmp_path):
    clip = tmp_path / "7.mp4"
    clip.write_bytes(MP4)
    media = client.upload(clip)
    ids = channel_ids(client)
    before = control(sandbox, "GET", "ratelimit")["hits"]
    [(post_id, _)] = client.create_posts(WHEN, [PostEntry(ids["youtube"], "Clip 7",
                                                          media=[{"id": media.id, "path": media.path}], settings=YT)],
                                         tags=["ep12"])
    assert control(sandbox, "GET", "ratelimit")["hits"] == before + 1
    assert client.budget.known and client.budget.remaining == 30 - (before + 1)
    [post] = client.list_posts(*WINDOW)
    assert post.id == post_id and post.settings["title"] == "Clip 7"


def test_list_posts_dedupes_and_sorts(client):
    ids = channel_ids(client)
    client.create_posts(WHEN + timedelta(hours=1), [PostEntry(ids["linkedin"], "second")])
    client.create_posts(WHEN, [PostEntry(ids["linkedin"], "first")])
    posts = client.list_posts(*WINDOW)
    assert [p.content for p in posts] == ["first", "second"]
    assert len({p.id for p in posts}) == 2


def test_find_slot_is_an_aware_future_utc_datetime(client):
    slot = client.find_slot(channel_ids(client)["linkedin"])
    assert slot.tzinfo is not None and slot > datetime.now(UTC) - timedelta(minutes=1)


def test_find_slot_that_hangs_is_cut_by_its_own_timeout(sandbox, client):
    ids = channel_ids(client)
    control(sandbox, "PATCH", f"channels/{ids['x']}", {"disabled": True})
    sandbox.find_slot_hang_seconds = 3
    from planner.postiz.errors import NetworkError

    started = time.monotonic()
    with pytest.raises(NetworkError, match="no answer"):
        client.find_slot(ids["x"], timeout=(2, 0.5))
    assert time.monotonic() - started < 2.5  # one attempt, not retried


def test_server_date_is_recorded(client):
    assert client.server_date() is None
    client.is_connected()
    assert abs((client.server_date() - datetime.now(UTC)).total_seconds()) < 5


def test_v2_23_0_lists_posts_without_settings(make_sandbox):
    server = make_sandbox(channels=CHANNELS, compat="v2.23.0")
    with PostizClient(server.api_url, KEY) as client:
        ids = channel_ids(client)
        client.create_posts(WHEN, [PostEntry(ids["linkedin"], "old server")])
        [post] = client.list_posts(*WINDOW)
        assert post.settings is None


def test_naive_dates_are_refused_before_sending(client):
    with pytest.raises(ValueError, match="naive"):
        client.list_posts(datetime(2031, 1, 1), datetime(2031, 1, 2))


def test_edit_without_group_is_refused_before_sending(client):
    ids = channel_ids(client)
    with pytest.raises(ValueError, match="group"):
        client.edit_posts(WHEN, [PostEntry(ids["linkedin"], "x", post_id="abc")])


def test_connection_is_reused(client):
    for _ in range(3):
        client.is_connected()
    pool = next(iter(client.session.adapters.values())).poolmanager.pools
    assert len(pool.keys()) == 1

