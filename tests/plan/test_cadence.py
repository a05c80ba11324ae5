"""When posts go out: intervals, weekly slots, DST, blackout, daily cap, order, start."""

from __future__ import annotations

from datetime import datetime

import pytest
import yaml

from support.workspaces import make_workspace


def times(cli, ws_root, *args, **kw):
    res = cli("plan", ws_root, *args, **kw)
    assert res.code == 0, res.err
    return [p["at"] for p in yaml.safe_load(res.out)["posts"]]


def test_interval_flags(tmp_path, cli):
    make_workspace(tmp_path, clips=4)
    assert times(cli, tmp_path, "--start", "2026-12-01 09:00", "--interval", "4h", "--channels", "a",
                 "--timezone", "America/Mexico_City") == [
        "2026-12-01T09:00:00-06:00", "2026-12-01T13:00:00-06:00",
        "2026-12-01T17:00:00-06:00", "2026-12-01T21:00:00-06:00"]


@pytest.mark.parametrize("interval, second", [("90m", "10:30"), ("1d", "09:00"), ("1w", "09:00"), ("1h30m", "10:30")])
def test_interval_units(tmp_path, cli, interval, second):
    make_workspace(tmp_path, clips=2)
    at = times(cli, tmp_path, "--start", "2026-12-01 09:00", "--interval", interval, "--channels", "a")
    assert at[1][11:16] == second and at[0] == "2026-12-01T09:00:00+00:00"  # no zone given: UTC


def test_daily_slots_keep_wall_clock_across_dst(tmp_path, cli):
    # Europe/Madrid leaves summer time on 2026-10-25 (+02:00 -> +01:00).
    make_workspace(tmp_path, clips=3)
    got = times(cli, tmp_path, "--start", "2026-10-24 09:00", "--interval", "1d", "--channels", "a",
                "--timezone", "Europe/Madrid", now="2026-10-01T00:00:00+00:00")
    assert got == ["2026-10-24T09:00:00+02:00", "2026-10-25T09:00:00+01:00", "2026-10-26T09:00:00+01:00"]


def test_weekly_slots_across_dst_in_new_york(tmp_path, cli):
    # America/New_York starts summer time on 2027-03-14 (-05:00 -> -04:00).
    make_workspace(tmp_path, clips=3)
    rules = tmp_path / "rules.yaml"
    rules.write_text('timezone: America/New_York\nslots:\n  sat: ["18:00"]\n  sun: ["18:00"]\n'
                     'channels: {a: {}}\n', encoding="utf-8")
    got = times(cli, tmp_path, "--rules", rules, now="2027-03-12T00:00:00+00:00")
    assert got == ["2027-03-13T18:00:00-05:00", "2027-03-14T18:00:00-04:00", "2027-03-20T18:00:00-04:00"]


def test_hour_intervals_are_elapsed_time_across_dst(tmp_path, cli):
    make_workspace(tmp_path, clips=3)
    got = times(cli, tmp_path, "--start", "2026-10-25 01:00", "--interval", "1h", "--channels", "a",
                "--timezone", "Europe/Madrid", now="2026-10-01T00:00:00+00:00")
    instants = [datetime.fromisoformat(t).timestamp() for t in got]
    assert [b - a for a, b in zip(instants, instants[1:], strict=False)] == [3600, 3600]
    assert got[1:] == ["2026-10-25T02:00:00+02:00", "2026-10-25T02:00:00+01:00"]


def test_slot_in_spring_forward_gap_moves_forward(tmp_path, cli):
    make_workspace(tmp_path, clips=1)
    got = times(cli, tmp_path, "--start", "2027-03-28 02:30", "--interval", "1d", "--channels", "a",
                "--timezone", "Europe/Madrid", now="2027-03-01T00:00:00+00:00")
    assert got == ["2027-03-28T03:30:00+02:00"]


def test_daily_slot_in_the_gap_moves_that_day_only(tmp_path, cli):
    # America/New_York jumps from 02:00 to 03:00 on 2027-03-14: 02:30 does not exist that day.
    make_workspace(tmp_path, clips=3)
    got = times(cli, tmp_path, "--start", "2027-03-13 02:30", "--interval", "1d", "--channels", "a",
                "--timezone", "America/New_York", now="2027-03-01T00:00:00+00:00")
    assert got == ["2027-03-13T02:30:00-05:00", "2027-03-14T03:30:00-04:00", "2027-03-15T02:30:00-04:00"]


def test_weekly_slots_on_spring_forward_and_fall_back_days(tmp_path, cli):
    make_workspace(tmp_path, clips=6)
    rules = tmp_path / "rules.yaml"
    rules.write_text('timezone: America/New_York\nslots:\n  sun: ["01:30", "02:30", "03:30"]\n'
                     'channels: {a: {}}\n', encoding="utf-8")
    spring = times(cli, tmp_path, "--rules", rules, "--start", "2027-03-14 00:00", now="2027-03-01T00:00:00+00:00")
    # 02:30 moves to 03:30, which is already a slot: posted once, never twice in one minute.
    assert spring[:4] == ["2027-03-14T01:30:00-05:00", "2027-03-14T03:30:00-04:00",
                          "2027-03-21T01:30:00-04:00", "2027-03-21T02:30:00-04:00"]
    autumn = times(cli, tmp_path, "--rules", rules, "--start", "2027-11-07 00:00", now="2027-03-01T00:00:00+00:00")
    # 01:30 happens twice on 2027-11-07: the first (summer time) one is used, once.
    assert autumn[:4] == ["2027-11-07T01:30:00-04:00", "2027-11-07T02:30:00-05:00",
                          "2027-11-07T03:30:00-05:00", "2027-11-14T01:30:00-05:00"]


def test_dst_plan_passes_validate(tmp_path, cli):
    make_workspace(tmp_path / "ws", clips=3)
    rules = tmp_path / "rules.yaml"
    rules.write_text('timezone: America/New_York\nslots:\n  sun: ["02:30", "03:30"]\nchannels: {a: {}}\n',
                     encoding="utf-8")
    plan = tmp_path / "p.yaml"
    res = cli("plan", tmp_path / "ws", "--rules", rules, "--start", "2027-03-14 00:00", "-o", plan,
              now="2027-03-01T00:00:00+00:00")
    assert res.code == 0, res.err
    res = cli("validate", plan, now="2027-03-01T00:00:00+00:00")
    assert res.code == 0, res.err


def test_negative_channel_offset_never_lands_in_the_past(tmp_path, cli):
    make_workspace(tmp_path / "ws", clips=2)
    rules = tmp_path / "rules.yaml"
    rules.write_text('timezone: UTC\ninterval: 1h\nchannels:\n  a: {}\n  b: {offset: "-90m"}\n', encoding="utf-8")
    plan = tmp_path / "p.yaml"
    res = cli("plan", tmp_path / "ws", "--rules", rules, "-o", plan, now="2026-11-26T00:10:00+00:00")
    assert res.code == 0, res.err
    # 01:00 would put b at 23:30 yesterday; 02:00 is the first slot where both are ahead.
    assert [p["at"] for p in yaml.safe_load(plan.read_text(encoding="utf-8"))["posts"]] == [
        "2026-11-26T02:00:00+00:00", "2026-11-26T03:00:00+00:00"]
    assert cli("validate", plan, now="2026-11-26T00:10:00+00:00").code == 0


def test_blackout_and_max_per_day(tmp_path, cli):
    make_workspace(tmp_path, clips=5)
    rules = tmp_path / "rules.yaml"
    rules.write_text('timezone: UTC\nstart: "2026-12-23 00:00"\nslots:\n  daily: ["09:00", "13:00", "18:00"]\n'
                     'max_per_day: 2\nblackout: ["2026-12-24..2026-12-25"]\nchannels: {a: {}}\n', encoding="utf-8")
    assert times(cli, tmp_path, "--rules", rules) == [
        "2026-12-23T09:00:00+00:00", "2026-12-23T13:00:00+00:00",
        "2026-12-26T09:00:00+00:00", "2026-12-26T13:00:00+00:00", "2026-12-27T09:00:00+00:00"]


def test_channel_offset_counts_towards_the_day_it_lands_on(tmp_path, cli):
    # 23:30 + 1h lands on the next day for channel b, which fills b's quota for
    # that day: the next day's 08:00 slot is skipped, 23:30 is used instead.
    make_workspace(tmp_path, clips=2)
    rules = tmp_path / "rules.yaml"
    rules.write_text('timezone: UTC\nstart: "2026-12-01 12:00"\nslots:\n  daily: ["08:00", "23:30"]\n'
                     'max_per_day: 1\nchannels: {a: {}, b: {offset: 1h}}\n', encoding="utf-8")
    assert times(cli, tmp_path, "--rules", rules) == ["2026-12-01T23:30:00+00:00", "2026-12-02T23:30:00+00:00"]


@pytest.mark.parametrize("order, expected", [
    ("cliper", [1, 2, 3, 4]),
    ("viral_potential", [3, 1, 4, 2]),
    ("engagement_score", [2, 4, 1, 3]),
])
def test_order_by_metadata(tmp_path, cli, order, expected):
    make_workspace(tmp_path, clips=4, scores={1: (8.0, 7.0), 2: (5.0, 9.5), 3: (9.1, 6.0), 4: (8.0, 8.0)})
    res = cli("plan", tmp_path, "--start", "2026-12-01 09:00", "--interval", "1d", "--channels", "a",
              "--order", order)
    posts = yaml.safe_load(res.out)["posts"]
    assert [p["clip"] for p in posts] == expected
    assert [p["at"][:10] for p in posts] == ["2026-12-01", "2026-12-02", "2026-12-03", "2026-12-04"]


def test_default_start_is_the_first_slot_after_now(tmp_path, cli):
    make_workspace(tmp_path, clips=2)
    rules = tmp_path / "rules.yaml"
    rules.write_text('timezone: America/Mexico_City\nslots:\n  mon: ["09:00"]\n  thu: ["18:00"]\nchannels: {a: {}}\n',
                     encoding="utf-8")
    # now = Thu 2026-11-26 10:00 in Mexico City: the Thu 18:00 slot is still ahead.
    assert times(cli, tmp_path, "--rules", rules, now="2026-11-26T16:00:00+00:00") == [
        "2026-11-26T18:00:00-06:00", "2026-11-30T09:00:00-06:00"]
    # Interval mode without --start: the next full hour.
    assert times(cli, tmp_path, "--interval", "2h", "--channels", "a", "--timezone", "America/Mexico_City",
                 now="2026-11-26T16:20:00+00:00") == ["2026-11-26T11:00:00-06:00", "2026-11-26T13:00:00-06:00"]


def test_start_in_the_past_is_refused(tmp_path, cli):
    make_workspace(tmp_path, clips=2)
    res = cli("plan", tmp_path, "--start", "2026-01-01 09:00", "--interval", "4h", "--channels", "a")
    assert res.code == 1 and res.out == "" and "in the past" in res.err


@pytest.mark.parametrize("flag, value, words", [
    ("--interval", "4 hours", "not a duration"),
    ("--interval", "0h", "longer than zero"),
    ("--timezone", "Mars/Olympus", "unknown time zone"),
    ("--start", "1/12/2026 9am", "not a date and time"),
])
def test_bad_flags_are_explained(tmp_path, cli, flag, value, words):
    make_workspace(tmp_path, clips=1)
    args = {"--interval": "4h", "--timezone": "UTC", "--start": "2026-12-01 09:00"}
    args[flag] = value
    flat = [x for kv in args.items() for x in kv]
    res = cli("plan", tmp_path, *flat, "--channels", "a")
    assert res.code == 1 and res.out == "" and words in res.err and "Traceback" not in res.err


def test_past_start_in_a_rules_file_is_a_lower_bound(tmp_path, cli):
    # A committed rules file outlives its start date: keep the grid, skip past slots.
    make_workspace(tmp_path, clips=2)
    rules = tmp_path / "rules.yaml"
    rules.write_text('timezone: UTC\nstart: "2026-11-01 09:00"\ninterval: 1d\nchannels: {a: {}}\n', encoding="utf-8")
    assert times(cli, tmp_path, "--rules", rules) == ["2026-11-26T09:00:00+00:00", "2026-11-27T09:00:00+00:00"]


def test_missing_time_zone_is_pointed_out(tmp_path, cli):
    make_workspace(tmp_path, clips=1)
    res = cli("plan", tmp_path, "--interval", "4h", "--channels", "a")
    assert res.code == 0 and "the schedule is in UTC" in res.err
    assert "timezone: UTC" in res.out
