"""The client's models read what a real Postiz backend answered (CI-only transcripts)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from planner.postiz.models import Channel, LivePost, Media, parse_utc


@pytest.fixture(scope="module")
def exchanges(shared_dir):
    data = json.loads((shared_dir / "postiz/transcripts/real-postiz-74b01ad.json").read_text())
    return {e["name"]: e for e in data["exchanges"]}


def test_channels_from_real_integrations(exchanges):
    channels = [Channel.from_api(i) for i in exchanges["integrations"]["body"]]
    assert [(c.provider, c.name) for c in channels] == [
        ("linkedin", "probe1 linkedin"), ("x", "probe1 x"), ("youtube", "probe1 youtube")]
    assert all(c.customer is None and not c.disabled for c in channels)


def test_posts_from_real_listing_after_edit(exchanges):
    edit = exchanges["edit_li"]["request"]["posts"][0]
    posts = {p.id: p for p in map(LivePost.from_api, exchanges["list_after_edit"]["body"]["posts"])}
    edited = posts[edit["value"][0]["id"]]
    assert edited.group != edit["group"]  # rotated by the edit
    assert edited.settings == {"cliper_id": "probe/f72e4a", "__type": "linkedin"}
    assert edited.publish_date == datetime(2028, 8, 26, 18, 0, tzinfo=UTC)
    assert edited.provider == "linkedin" and edited.channel_name == "probe1 linkedin"


def test_media_from_real_upload(exchanges):
    media = Media.from_api(exchanges["upload_mp4"]["body"])
    assert media.path.endswith(".mp4") and media.id


def test_zone_less_dates_are_utc(exchanges):
    slot = parse_utc(exchanges["find_slot_li"]["body"]["date"])
    assert slot == datetime(2026, 11, 26, 6, 40, tzinfo=UTC)
    put = parse_utc(exchanges["put_settings"]["body"]["publishDate"])
    assert put.tzinfo is not None
