"""`plan --avoid-live`: a plan made in another folder keeps clear of the posts already
scheduled in Postiz, with reads only (no counted request), on both server versions."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

import yaml

from support.reconcile_helpers import run
from support.workspaces import make_workspace

EP12 = "Ep 12 - Bases de datos_AAAAAAAAAAA"
EP13 = "Ep 13 - Colas sin dolor_BBBBBBBBBBB"
NOW = "2031-02-01T00:00:00+00:00"
CADENCE = ("--start", "2031-03-01 09:00", "--interval", "4h", "--max-per-day", "3",
           "--channels", "tiktok-main,x-main", "--timezone", "America/Mexico_City", "--now", NOW)


def slots(plan_file) -> set[tuple[str, str]]:
    posts = yaml.safe_load(plan_file.read_text(encoding="utf-8"))["posts"]
    return {(ch, p["at"]) for p in posts for ch in p["channels"]}


def test_avoid_live_keeps_clear_of_scheduled_posts_without_counted_requests(sandbox, tmp_path):
    make_workspace(tmp_path / "ws", video_id=EP12, clips=4)
    make_workspace(tmp_path / "ws", video_id=EP13, clips=4)
    ep12 = tmp_path / "a" / "ep12.yaml"
    made = run("plan", tmp_path / "ws", "--video", EP12, *CADENCE, "-o", ep12)
    assert made.code == 0, made.err
    applied = run("apply", ep12, "--auto-approve")
    assert applied.code == 0, applied.out + applied.err
    counted = sandbox.hits()

    # Another folder: no plan file to see, only what Postiz holds.
    ep13 = tmp_path / "b" / "ep13.yaml"
    alone = run("plan", tmp_path / "ws", "--video", EP13, *CADENCE)
    assert alone.code == 0 and {(c, a) for c, a in slots_of(alone.out)} == slots(ep12)  # would collide
    res = run("plan", tmp_path / "ws", "--video", EP13, *CADENCE, "--avoid-live", "-o", ep13)
    assert res.code == 0, res.err
    assert not slots(ep12) & slots(ep13)
    per_day = Counter((ch, datetime.fromisoformat(at).date()) for ch, at in slots(ep12) | slots(ep13))
    assert max(per_day.values()) <= 3
    # ep12 holds 09:00, 13:00, 17:00 on Mar 1 and 01:00 on Mar 2: four same-minute slots, the
    # 21:00 of a full Mar 1, then 13:00, 17:00, 21:00 of Mar 2 (ep12's 01:00 + ep13's 05:00, 09:00).
    assert "avoided 8 slots taken by Postiz on tiktok-main" in res.err
    assert sandbox.hits() == counted  # GET /integrations and GET /posts only

    # Re-made over itself with --avoid-live, ep12 keeps its own slots: its posts are not someone else's.
    again = run("plan", tmp_path / "ws", "--video", EP12, *CADENCE, "--avoid-live", "-o", ep12)
    assert again.code == 0, again.err
    assert slots(ep12) == {(c, a) for c, a in slots_of(made_out(tmp_path, EP12))}
    assert "avoided" not in again.err
    assert sandbox.hits() == counted


def test_avoid_live_without_a_server_says_what_to_set(tmp_path, monkeypatch):
    monkeypatch.delenv("POSTIZ_API_URL", raising=False)
    monkeypatch.delenv("POSTIZ_API_KEY", raising=False)
    make_workspace(tmp_path / "ws", video_id=EP12, clips=2)
    res = run("plan", tmp_path / "ws", *CADENCE, "--avoid-live")
    assert res.code == 1 and "Traceback" not in res.err
    assert "--avoid-live reads Postiz: no Postiz URL configured" in res.err
    assert "leave out --avoid-live to plan offline" in res.err
    offline = run("plan", tmp_path / "ws", *CADENCE)  # without it, plan never goes online
    assert offline.code == 0, offline.err


def slots_of(plan_text: str) -> set[tuple[str, str]]:
    posts = yaml.safe_load(plan_text)["posts"]
    return {(ch, p["at"]) for p in posts for ch in p["channels"]}


def made_out(tmp_path, video: str) -> str:
    """The plan `video` gets alone (stdout), to compare with."""
    res = run("plan", tmp_path / "ws", "--video", video, *CADENCE)
    assert res.code == 0, res.err
    return res.out
