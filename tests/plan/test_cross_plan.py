"""Plans that know each other: a plan made into a folder of plans keeps clear of their
slots and shares their daily cap; `validate` over several plans finds what only shows
with them side by side (issue 14)."""

from __future__ import annotations

import shlex
from collections import Counter
from datetime import datetime
from pathlib import Path

import pytest
import yaml

from support.workspaces import make_workspace

EP12 = "Ep 12 - Bases de datos_AAAAAAAAAAA"
EP13 = "Ep 13 - Colas sin dolor_BBBBBBBBBBB"
RULES = """\
timezone: America/Mexico_City
slots:
  daily: ["09:00", "13:00", "18:00"]
max_per_day: 2
channels: {tiktok-main: {}, x-main: {}}
"""


@pytest.fixture
def home(tmp_path):
    make_workspace(tmp_path / "cliper", video_id=EP12, clips=5)
    make_workspace(tmp_path / "cliper", video_id=EP13, clips=5)
    (tmp_path / "rules.yaml").write_text(RULES, encoding="utf-8")
    (tmp_path / "plans").mkdir()
    return tmp_path


def plan(cli, home: Path, video: str, out: Path, *args: str):
    res = cli("plan", home / "cliper", "--video", video, "--rules", home / "rules.yaml",
              "--name", out.stem, "-o", out, *args)
    assert res.code == 0, res.err
    return res


def slots(*files: Path) -> list[tuple[str, str]]:
    """(channel, at) of every post of the plans."""
    out = []
    for file in files:
        for post in yaml.safe_load(file.read_text(encoding="utf-8"))["posts"]:
            out += [(ch, post["at"]) for ch in post["channels"]]
    return out


def per_day(*files: Path) -> Counter:
    return Counter((ch, datetime.fromisoformat(at).date()) for ch, at in slots(*files))


def line_of(file: Path, text: str) -> int:
    return next(i for i, line in enumerate(file.read_text(encoding="utf-8").splitlines(), 1) if text in line)


def at_line(file: Path, when: str) -> int:
    """The line of the post time `when` (e.g. 2026-11-28T09:00) in `file`."""
    return line_of(file, f'at: "{when}')


def test_two_episodes_in_one_folder_share_no_slot_and_respect_max_per_day(cli, home):
    ep12, ep13 = home / "plans" / "ep12.yaml", home / "plans" / "ep13.yaml"
    plan(cli, home, EP12, ep12)
    res = plan(cli, home, EP13, ep13)

    shared = set(slots(ep12)) & set(slots(ep13))
    assert not shared
    assert max(per_day(ep12, ep13).values()) == 2  # the cap holds for both plans together
    # ep13 starts where ep12 leaves room: the free 13:00 of ep12's last day, then the next days.
    assert yaml.safe_load(ep13.read_text())["posts"][0]["at"] == "2026-11-28T13:00:00-06:00"
    assert f"avoided 8 slots taken by {ep12} on tiktok-main" in res.err
    assert f"avoided 8 slots taken by {ep12} on x-main" in res.err
    # The limits it kept to are in the plan, for the next plan and for validate.
    assert yaml.safe_load(ep13.read_text())["cadence"] == {"max_per_day": 2}
    checked = cli("validate", home / "plans")
    assert checked.code == 0, checked.err


def test_no_avoid_plans_alone_and_lands_on_the_same_slots(cli, home):
    ep12, ep13 = home / "plans" / "ep12.yaml", home / "plans" / "ep13.yaml"
    plan(cli, home, EP12, ep12)
    res = plan(cli, home, EP13, ep13, "--no-avoid")
    assert set(slots(ep12)) == set(slots(ep13))
    assert "avoided" not in res.err
    # ... which validate over the folder then reports, naming both places.
    checked = cli("validate", home / "plans")
    assert checked.code == 1
    assert f"{ep13}:{line_of(ep13, 'at: ')}: posts[0].at: clip-01@tiktok-main ({ep12}:{line_of(ep12, 'at: ')})" \
        in checked.err


def test_replanning_into_the_folder_is_deterministic_and_does_not_avoid_itself(cli, home):
    ep12, ep13 = home / "plans" / "ep12.yaml", home / "plans" / "ep13.yaml"
    plan(cli, home, EP12, ep12)
    plan(cli, home, EP13, ep13)
    first = ep13.read_bytes()
    plan(cli, home, EP13, ep13)
    assert ep13.read_bytes() == first
    again = ep12.read_bytes()
    res = plan(cli, home, EP12, ep12)  # ep12 re-made beside ep13: ep13 holds the later days only
    assert set(slots(ep12)) & set(slots(ep13)) == set()
    assert ep12.read_bytes() == again and "avoided" not in res.err


def test_interval_is_the_minimum_gap_to_other_plans(cli, home):
    ep12, ep13 = home / "plans" / "ep12.yaml", home / "plans" / "ep13.yaml"
    common = ("--interval", "4h", "--channels", "tiktok-main", "--timezone", "America/Mexico_City")
    res = cli("plan", home / "cliper", "--video", EP12, "--start", "2026-12-01 09:00", *common, "-o", ep12)
    assert res.code == 0, res.err
    res = cli("plan", home / "cliper", "--video", EP13, "--start", "2026-12-01 10:00", *common, "-o", ep13)
    assert res.code == 0, res.err
    ats = [p["at"] for p in yaml.safe_load(ep13.read_text())["posts"]]
    # ep12 posts every 4h from 09:00 to 01:00 next day: ep13's 10:00, 14:00, ... are too close
    # to one of them, and its first post is the first slot 4h after ep12's last.
    assert ats[0] == "2026-12-02T06:00:00-06:00"
    assert yaml.safe_load(ep13.read_text())["cadence"] == {"min_gap": "4h"}
    assert f"avoided 5 slots taken by {ep12} on tiktok-main" in res.err


def test_avoid_glob_adds_plans_elsewhere_and_skips_what_is_not_a_plan(cli, home):
    campaign = home / "campaign"
    campaign.mkdir()
    ep12 = campaign / "ep12.yaml"
    plan(cli, home, EP12, ep12)
    (campaign / "rules.yaml").write_text(RULES, encoding="utf-8")  # a YAML file that is not a plan
    ep13 = home / "plans" / "ep13.yaml"
    res = plan(cli, home, EP13, ep13, "--avoid", f"{campaign}/*.yaml")
    assert not set(slots(ep12)) & set(slots(ep13))
    assert max(per_day(ep12, ep13).values()) == 2
    assert f"taken by {ep12} on tiktok-main" in res.err and "rules.yaml" not in res.err
    assert f"--avoid {shlex.quote(f'{campaign}/*.yaml')}" in ep13.read_text()  # the header repeats it

    missing = cli("plan", home / "cliper", "--video", EP13, "--rules", home / "rules.yaml",
                  "--avoid", home / "nowhere" / "*.yaml")
    assert missing.code == 1 and "Traceback" not in missing.err
    assert "nowhere/*.yaml: no such plan file or folder" in missing.err

    both = cli("plan", home / "cliper", "--video", EP13, "--rules", home / "rules.yaml", "--no-avoid",
               "--avoid", ep12)
    assert both.code == 1 and "--no-avoid" in both.err and "Traceback" not in both.err


def test_a_broken_plan_in_the_folder_is_said_and_planning_goes_on(cli, home):
    broken = home / "plans" / "ep11.yaml"
    broken.write_text("version: 1\nname: ep11\nposts: [\n", encoding="utf-8")
    ep13 = home / "plans" / "ep13.yaml"
    res = plan(cli, home, EP13, ep13)
    assert f"{broken} is not a valid plan" in res.err and "its posts are not avoided" in res.err


def test_validate_flags_a_hand_made_cross_plan_collision_with_both_places(cli, home):
    ep12, ep13 = home / "plans" / "ep12.yaml", home / "plans" / "ep13.yaml"
    plan(cli, home, EP12, ep12)
    plan(cli, home, EP13, ep13)
    # By hand: ep13's first post onto ep12's last one (2026-11-28 09:00).
    text = ep13.read_text(encoding="utf-8")
    ep13.write_text(text.replace('at: "2026-11-28T13:00:00-06:00"', 'at: "2026-11-28T09:00:00-06:00"', 1),
                    encoding="utf-8")
    res = cli("validate", ep12, ep13)
    assert res.code == 1
    here = f"{ep13}:{line_of(ep13, 'at: ')}"
    there = f"{ep12}:{at_line(ep12, '2026-11-28T09:00')}"
    for channel in ("tiktok-main", "x-main"):
        assert (f"{here}: posts[0].at: clip-05@{channel} ({there}) of another plan is at the same minute "
                f"on {channel}") in res.err
    # Each plan alone is fine: only side by side do they collide.
    assert cli("validate", ep13).code == 0


def test_validate_flags_a_day_over_a_plans_max_per_day_across_plans(cli, home):
    ep12, ep13 = home / "plans" / "ep12.yaml", home / "plans" / "ep13.yaml"
    plan(cli, home, EP12, ep12)
    plan(cli, home, EP13, ep13)
    text = ep13.read_text(encoding="utf-8")  # a third post on 2026-11-27, when ep12 has two
    ep13.write_text(text.replace('at: "2026-11-28T13:00:00-06:00"', 'at: "2026-11-27T18:00:00-06:00"', 1),
                    encoding="utf-8")
    res = cli("validate", home / "plans", "--json")
    assert res.code == 1
    problems = [p for p in yaml.safe_load(res.out)["problems"] if "max_per_day" in p["message"]]
    assert [(p["file"], p["line"], p["path"]) for p in problems] == [
        (str(ep13), line_of(ep13, "at: "), "posts[0].at")] * 2  # once per channel, at the post moved
    message = problems[0]["message"]
    assert message.startswith("3 posts on tiktok-main on 2026-11-27 (America/Mexico_City), over the "
                              f"cadence.max_per_day of 2 in {ep12} and {ep13}")
    assert f"clip-03@tiktok-main ({ep12}:{at_line(ep12, '2026-11-27T09:00')})" in message
    assert f"clip-01@tiktok-main ({ep13}:{line_of(ep13, 'at: ')})" in message


def test_cadence_limits_are_hand_editable_and_checked(cli, home):
    ep12, ep13 = home / "plans" / "ep12.yaml", home / "plans" / "ep13.yaml"
    plan(cli, home, EP12, ep12)
    plan(cli, home, EP13, ep13)
    text = ep13.read_text(encoding="utf-8")
    crowded = text.replace('at: "2026-11-28T13:00:00-06:00"', 'at: "2026-11-27T18:00:00-06:00"', 1)
    # Raised by hand in both plans: three a day is now fine.
    ep13.write_text(crowded.replace("cadence: {max_per_day: 2}", "cadence: {max_per_day: 3}"), encoding="utf-8")
    ep12.write_text(ep12.read_text().replace("cadence: {max_per_day: 2}", "cadence: {max_per_day: 3}"),
                    encoding="utf-8")
    assert cli("validate", home / "plans").code == 0
    ep13.write_text(crowded.replace("cadence: {max_per_day: 2}", "cadence: {max_per_day: 0, min_gap: -1h}"),
                    encoding="utf-8")
    res = cli("validate", ep13)
    assert res.code == 1 and f"{ep13}:{line_of(ep13, 'cadence:')}: cadence.max_per_day" in res.err
