"""The client is coded to the Postiz contract, not to the sandbox's quirks.

Everything here goes through a proxy (tests/client/conftest.py) that changes what
the sandbox answers in ways a real Postiz may: no `Date` header, extra headers,
reversed key order, unknown keys everywhere, an unordered posts listing, 200
instead of 201 on POST, and a `customer` on a channel.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from planner.postiz.client import PostizClient
from planner.postiz.models import PostEntry
from support.cli import run as cli_run
from support.client_helpers import KEY, control

WHEN = datetime(2031, 3, 4, 10, 0, tzinfo=UTC)
WINDOW = (WHEN - timedelta(days=1), WHEN + timedelta(days=1))
MP4 = b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00isomiso2avc1mp41" + b"\x00" * 64


def test_full_round_trip_through_a_postiz_that_differs_from_the_sandbox(
        sandbox, unlike_proxy, tmp_path):
    control(sandbox, "POST", "channels", {"provider": "tiktok", "name": "Client TikTok",
                                          "customer": {"id": "cu1", "name": "Acme"}})
    with PostizClient(unlike_proxy, KEY, backoff=0.01) as client:
        assert client.is_connected() is True
        channels = {c.provider: c for c in client.list_channels()}
        assert channels["tiktok"].customer is not None
        assert channels["tiktok"].customer.name == "Acme"
        ids = {p: c.id for p, c in channels.items()}

        clip = tmp_path / "1.mp4"
        clip.write_bytes(MP4)
        media = client.upload(clip)  # 200 here, 201 from the sandbox: both are success
        assert media.path.endswith(".mp4")

        created = client.create_posts(WHEN, [
            PostEntry(ids["linkedin"], "first", settings={"cliper_id": "a"}),
            PostEntry(ids["x"], "second", settings={"who_can_reply_post": "everyone"}),
        ])
        assert [i for _, i in created] == [ids["linkedin"], ids["x"]]  # request order
        client.create_posts(WHEN + timedelta(hours=1), [PostEntry(ids["linkedin"], "third")])
        assert client.budget.known and client.budget.remaining == 28  # headers survive

        posts = client.list_posts(*WINDOW)  # the proxy reversed the server's order
        assert sorted(p.content for p in posts[:2]) == ["first", "second"]
        assert posts[2].content == "third"  # sorted by date again, whatever the server's order
        li = next(p for p in posts if p.content == "first")
        assert li.settings["cliper_id"] == "a"

        [(same_id, _)] = client.edit_posts(WHEN, [PostEntry(
            ids["linkedin"], "first, edited", post_id=li.id, group=li.group)])
        assert same_id == li.id
        assert client.update_settings(li.id, {"cliper_hash": "h"})["postId"] == li.id
        assert client.set_status(li.id, "draft") == "DRAFT"
        edited = next(p for p in client.list_posts(*WINDOW) if p.id == li.id)
        assert edited.content == "first, edited" and edited.group != li.group
        client.delete_group(edited.group)
        assert client.delete_post(created[1][0]) is True
        assert [p.content for p in client.list_posts(*WINDOW)] == ["third"]
        assert client.server_date() is None  # no Date header: nothing invented


def test_doctor_without_a_date_header_warns_instead_of_failing(unlike_proxy, tmp_path):
    env = {"POSTIZ_API_URL": unlike_proxy, "POSTIZ_API_KEY": KEY, "NO_COLOR": "1",
           "CLIPER_SCHED_CACHE_DIR": str(tmp_path / "cache")}
    result = cli_run("doctor", "--json", env=env)
    report = json.loads(result.output)
    checks = {c["name"]: c for c in report["checks"]}
    assert result.exit_code == 0 and report["ok"] is True
    assert checks["clock"]["status"] == "warn" and "no Date header" in checks["clock"]["message"]
    assert checks["channels"]["status"] == "ok"


def test_one_connection_is_reused_where_the_server_keeps_it_alive(unlike_proxy,
                                                                  unlike_proxy_server):
    # The sandbox (Werkzeug) closes every connection; Postiz behind nginx keeps it open.
    with PostizClient(unlike_proxy, KEY) as client:
        for _ in range(5):
            client.is_connected()
        client.list_channels()
        client.list_posts(*WINDOW)
    assert unlike_proxy_server.connections == 1
