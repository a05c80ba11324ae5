"""`cliper-sched doctor` says which Postiz behaviour the server shows, and what it means,
without changing anything: the installed CLI against the sandbox in both compat modes."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import pytest

from planner.postiz.client import PostizClient
from planner.postiz.diagnose import Behaviour, server_behaviour
from planner.postiz.models import PostEntry
from support.cli import run as cli_run
from support.client_helpers import CHANNELS, KEY, channel_ids, controls

WHEN = datetime(2031, 3, 4, 10, 0, tzinfo=UTC)
IMPORT_HINT = "changes that cannot be tied to an owned post are refused (run `cliper-sched import`)"


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("CLIPER_SCHED_CACHE_DIR", str(tmp_path / "cache"))


def doctor(server, *extra):
    result = cli_run("doctor", *extra, env={"POSTIZ_API_URL": server.api_url, "POSTIZ_API_KEY": KEY,
                                            "NO_COLOR": "1", "FORCE_COLOR": ""})
    return result


def doctor_json(server):
    result = doctor(server, "--json")
    report = json.loads(result.output)
    return result.exit_code, {c["name"]: c for c in report["checks"]}, report


def with_a_post(server) -> str:
    with PostizClient(server.api_url, KEY) as client:
        [(post_id, _)] = client.create_posts(WHEN, [PostEntry(
            channel_ids(client)["linkedin"], "one", settings={"cliper_sched": "ep/clip-01@linkedin"})])
    return post_id


@pytest.mark.parametrize("compat", ["main", "v2.23.0"])
def test_without_a_post_the_listing_is_unknown_and_the_route_still_tells(make_sandbox, compat):
    server = make_sandbox(channels=CHANNELS, compat=compat)
    code, checks, report = doctor_json(server)
    assert code == 0 and report["ok"] is True
    check = checks["behaviour"]
    assert check["status"] == "info" and list(checks)[-2:] == ["behaviour", "media"]
    behaviour = report["behaviour"]
    assert behaviour["settings_listed"] is None
    assert behaviour["settings_listed_why"] == "no post to look at"
    assert "settings listed: unknown: no post to look at" in check["details"]
    expected = compat == "main"
    assert behaviour["settings_route"] is expected and behaviour["republish_guard"] is expected
    assert behaviour["republish_guard_inferred"] is True
    assert behaviour["like"] == compat
    assert f"like Postiz {compat}" in check["message"]


def test_main_lists_settings_so_the_marker_proves_ownership(make_sandbox):
    server = make_sandbox(channels=CHANNELS, compat="main")
    with_a_post(server)
    code, checks, report = doctor_json(server)
    assert code == 0
    assert report["behaviour"] | {"lines": None} == {
        "like": "main", "settings_listed": True, "settings_route": True, "republish_guard": True,
        "republish_guard_inferred": True, "settings_listed_why": None, "settings_route_why": None,
        "lines": None}
    details = checks["behaviour"]["details"]
    assert any("ownership is proven by the cliper_sched marker" in line and "state file is only a cache" in line
               for line in details)
    assert any(line.startswith("republish guard, inferred") for line in details)
    assert not any("counted edit" in line for line in details)


def test_v2_23_0_hides_settings_so_ownership_rests_on_the_state_file(make_sandbox):
    server = make_sandbox(channels=CHANNELS, compat="v2.23.0")
    with_a_post(server)
    code, checks, report = doctor_json(server)
    assert code == 0 and checks["behaviour"]["status"] == "info"
    behaviour = report["behaviour"]
    assert (behaviour["like"], behaviour["settings_listed"], behaviour["settings_route"],
            behaviour["republish_guard"]) == ("v2.23.0", False, False, False)
    lines = "\n".join(checks["behaviour"]["details"])
    assert "signed state file and exact channel + time + content matches" in lines
    assert IMPORT_HINT in lines
    assert "settings-only changes cost a counted edit" in lines
    assert "no republish guard, inferred" in lines


@pytest.mark.parametrize("compat", ["main", "v2.23.0"])
def test_human_output_explains_each_behaviour_and_changes_nothing(make_sandbox, compat):
    server = make_sandbox(channels=CHANNELS, compat=compat)
    with_a_post(server)
    box = controls(server)
    rows, hits = box.rows(), box.hits()
    result = doctor(server)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("info  behaviour"))
    assert f"like Postiz {compat}" in lines[at]
    explained = lines[at + 1:at + 4]
    assert all(line.startswith(" " * 18 + "- ") for line in explained), explained
    assert result.output.rstrip().endswith("all checks passed")
    assert box.rows() == rows and box.hits() == hits  # nothing changed, nothing counted


def test_a_failing_listing_is_a_warning_not_a_failure(make_sandbox):
    server = make_sandbox(channels=CHANNELS, compat="main")
    controls(server).add_fault("GET", "/public/v1/posts", "error", count=5)
    code, checks, report = doctor_json(server)
    assert code == 0 and checks["behaviour"]["status"] == "warn"
    assert report["behaviour"]["settings_listed"] is None
    assert report["behaviour"]["settings_listed_why"].startswith("GET /posts failed")
    assert report["behaviour"]["settings_route"] is True
    assert doctor(server, "--strict").exit_code == 1  # --strict: warnings fail


@pytest.mark.parametrize("compat, like", [("main", "main"), ("v2.23.0", "v2.23.0")])
def test_server_behaviour_is_reusable_from_code(make_sandbox, compat, like):
    server = make_sandbox(channels=CHANNELS, compat=compat)
    post_id = with_a_post(server)
    with PostizClient(server.api_url, KEY) as client:
        found = server_behaviour(client)
    assert isinstance(found, Behaviour) and found.like == like and not found.failed
    assert found.settings_listed is (compat == "main") and len(found.lines()) == 3
    assert post_id in {r["id"] for r in controls(server).live_rows()}


def test_behaviour_lines_for_mixed_and_unknown_servers():
    mixed = Behaviour(settings_listed=True, settings_route=False, republish_guard=False)
    assert mixed.like is None and mixed.summary().startswith("mixed")
    unknown = Behaviour(None, None, None, "no post to look at", "the probe failed: boom", failed=True)
    assert unknown.like is None and unknown.summary().startswith("not known")
    assert unknown.lines() == ["settings listed: unknown: no post to look at",
                               "settings route: unknown: the probe failed: boom",
                               "republish guard: unknown (inferred from the settings route, unknown too)"]


@pytest.mark.parametrize("compat", ["main", "v2.23.0"])
def test_doctor_sees_the_sandbox_clock_in_the_date_header(make_sandbox, compat):
    server = make_sandbox(channels=CHANNELS, compat=compat)
    controls(server).advance(3 * 86400)
    code, checks, report = doctor_json(server)
    assert code == 1 and checks["clock"]["status"] == "fail"
    message = checks["clock"]["message"]
    assert "this machine is behind by" in message
    behind = int(message.rsplit("behind by ", 1)[1].rstrip("s"))
    assert abs(behind - 3 * 86400) <= 5
    shown = re.search(r"Postiz (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) UTC", message)  # days apart: dates shown
    assert shown, message
    server_time = datetime.strptime(shown[1], "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
    assert abs((server_time - datetime.now(UTC) - timedelta(days=3)).total_seconds()) < 30
    assert checks["behaviour"]["status"] == "info"  # the other checks still run
