"""Posting windows: --window and `window:` keep interval posts inside posting hours."""

from __future__ import annotations

from datetime import datetime

import yaml

from support.workspaces import make_workspace


def plan(cli, ws, *args, **kw):
    res = cli("plan", ws, *args, **kw)
    assert res.code == 0, res.err
    return yaml.safe_load(res.out)


def times(cli, ws, *args, **kw) -> list[str]:
    return [p["at"] for p in plan(cli, ws, *args, **kw)["posts"]]


def local_clock(at: str) -> str:
    return at[11:16]


def test_max_per_day_without_a_window_posts_at_night_and_with_one_does_not(tmp_path, cli):
    make_workspace(tmp_path, clips=6)
    args = ["--start", "2026-12-01 09:00", "--interval", "4h", "--max-per-day", "2", "--channels", "a",
            "--timezone", "America/Mexico_City"]
    # The complaint in the issue: the cap alone leaves 01:00 and 05:00 posts.
    assert [local_clock(t) for t in times(cli, tmp_path, *args)][2:4] == ["01:00", "05:00"]
    got = times(cli, tmp_path, *args, "--window", "09:00-21:00")
    assert got == ["2026-12-01T09:00:00-06:00", "2026-12-01T13:00:00-06:00",
                   "2026-12-02T09:00:00-06:00", "2026-12-02T13:00:00-06:00",
                   "2026-12-03T09:00:00-06:00", "2026-12-03T13:00:00-06:00"]


def test_the_next_post_moves_to_the_opening_and_the_interval_restarts_there(tmp_path, cli):
    make_workspace(tmp_path, clips=5)
    got = times(cli, tmp_path, "--start", "2026-12-01 10:00", "--interval", "5h", "--window", "09:00-21:00",
                "--channels", "a", "--timezone", "Europe/Madrid")
    # 10, 15, 20, (01:00 -> 09:00 next day), 14: counted from the opening, not from 10:00.
    assert [t[5:16] for t in got] == ["12-01T10:00", "12-01T15:00", "12-01T20:00", "12-02T09:00", "12-02T14:00"]


def test_a_start_outside_the_window_begins_at_the_opening(tmp_path, cli):
    make_workspace(tmp_path, clips=2)
    got = times(cli, tmp_path, "--start", "2026-12-01 06:30", "--interval", "1d", "--window", "09:00-21:00",
                "--channels", "a", "--timezone", "Europe/Madrid")
    assert got == ["2026-12-01T09:00:00+01:00", "2026-12-02T09:00:00+01:00"]


def test_window_holds_across_spring_forward_in_madrid(tmp_path, cli):
    # Europe/Madrid jumps from 02:00 to 03:00 on 2027-03-28 (+01:00 -> +02:00).
    make_workspace(tmp_path, clips=12)
    got = times(cli, tmp_path, "--start", "2027-03-26 09:00", "--interval", "5h", "--window", "09:00-21:00",
                "--channels", "a", "--timezone", "Europe/Madrid", now="2027-03-01T00:00:00+00:00")
    assert {local_clock(t) for t in got} == {"09:00", "14:00", "19:00"}  # local hours, both sides
    assert "2027-03-28T09:00:00+02:00" in got and "2027-03-27T19:00:00+01:00" in got
    # 19:00 +01:00 to 09:00 +02:00 is 13 real hours, not 14: the window is local time.
    gap = datetime.fromisoformat("2027-03-28T09:00:00+02:00") - datetime.fromisoformat("2027-03-27T19:00:00+01:00")
    assert gap.total_seconds() == 13 * 3600


def test_window_holds_across_fall_back_in_new_york_with_a_rules_file(tmp_path, cli):
    # America/New_York goes back from 02:00 to 01:00 on 2027-11-07 (-04:00 -> -05:00).
    make_workspace(tmp_path, clips=9)
    rules = tmp_path / "rules.yaml"
    rules.write_text('timezone: America/New_York\nstart: "2027-11-05 09:00"\ninterval: 4h\n'
                     'window: "09:00-21:00"\nchannels: {a: {}}\n', encoding="utf-8")
    got = times(cli, tmp_path, "--rules", rules, now="2027-11-01T00:00:00+00:00")
    assert [local_clock(t) for t in got] == ["09:00", "13:00", "17:00", "21:00"] * 2 + ["09:00"]
    assert got[-1] == "2027-11-07T09:00:00-05:00" and got[4] == "2027-11-06T09:00:00-04:00"


def test_a_window_crossing_midnight(tmp_path, cli):
    make_workspace(tmp_path, clips=4)
    got = times(cli, tmp_path, "--start", "2026-12-01 12:00", "--interval", "2h", "--window", "22:00-02:00",
                "--channels", "a", "--timezone", "Europe/Madrid")
    assert [t[5:16] for t in got] == ["12-01T22:00", "12-02T00:00", "12-02T02:00", "12-02T22:00"]


def test_a_channel_window_counts_its_offset(tmp_path, cli):
    make_workspace(tmp_path, clips=4)
    rules = tmp_path / "rules.yaml"
    rules.write_text('timezone: Europe/Madrid\nwindow: "09:00-21:00"\n'
                     'channels:\n  tiktok-main: {}\n  youtube-shorts: {offset: 30m, window: "09:00-18:00"}\n',
                     encoding="utf-8")
    doc = plan(cli, tmp_path, "--rules", rules, "--start", "2026-12-01 09:00", "--interval", "4h")
    # 17:00 would post on youtube at 17:30 (inside 09:00-18:00); 21:00 at 21:30 (outside): next day.
    assert [p["at"][5:16] for p in doc["posts"]] == ["12-01T09:00", "12-01T13:00", "12-01T17:00", "12-02T09:00"]


def test_channel_windows_that_never_overlap_are_an_error(tmp_path, cli):
    make_workspace(tmp_path, clips=2)
    rules = tmp_path / "rules.yaml"
    rules.write_text('timezone: Europe/Madrid\nchannels:\n  a: {window: "09:00-11:00"}\n  b: {window: "18:00-20:00"}\n',
                     encoding="utf-8")
    res = cli("plan", tmp_path, "--rules", rules, "--interval", "4h")
    assert res.code == 1 and "Traceback" not in res.err
    assert "no time of day suits every channel's window: a 09:00-11:00, b 18:00-20:00" in res.err


def test_weekly_slots_outside_the_window_are_refused_with_their_place(tmp_path, cli):
    make_workspace(tmp_path, clips=2)
    rules = tmp_path / "rules.yaml"
    rules.write_text('timezone: Europe/Madrid\nslots:\n  mon: ["09:00", "22:30"]\n'
                     'channels: {a: {}}\n', encoding="utf-8")
    assert cli("plan", tmp_path, "--rules", rules).code == 0  # without a window the slot is fine
    out = tmp_path / "plan.yaml"
    res = cli("plan", tmp_path, "--rules", rules, "--window", "09:00-21:00", "-o", out)
    assert res.code == 1 and not out.exists()
    assert f"{rules}:3: slots.mon.1: 22:30 is outside the window 09:00-21:00 of a" in res.err
    assert "hint: move the slot into the window" in res.err


def test_weekly_slots_inside_the_window_are_kept(tmp_path, cli):
    make_workspace(tmp_path, clips=2)
    rules = tmp_path / "rules.yaml"
    rules.write_text('timezone: Europe/Madrid\nwindow: "09:00-21:00"\nslots:\n  daily: ["09:00", "21:00"]\n'
                     'channels: {a: {}}\n', encoding="utf-8")
    assert times(cli, tmp_path, "--rules", rules) == ["2026-11-26T09:00:00+01:00", "2026-11-26T21:00:00+01:00"]


def test_bad_windows_are_said_with_their_place(tmp_path, cli):
    make_workspace(tmp_path, clips=1)
    res = cli("plan", tmp_path, "--interval", "4h", "--channels", "a", "--window", "9-21")
    assert res.code == 1 and "--window: '9-21' is not a window; write it as HH:MM-HH:MM" in res.err
    res = cli("plan", tmp_path, "--interval", "4h", "--channels", "a", "--window", "10:00-10:00")
    assert res.code == 1 and "opens and closes at the same minute" in res.err
    rules = tmp_path / "rules.yaml"
    rules.write_text('channels:\n  a: {window: "25:00-21:00"}\n', encoding="utf-8")
    res = cli("plan", tmp_path, "--interval", "4h", "--rules", rules)
    assert res.code == 1 and f"{rules}:2: channels.a.window" in res.err and "Traceback" not in res.err
