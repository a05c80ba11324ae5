"""Property-based tests (hypothesis) of the plan loader and the diff.

1. Any valid plan document survives dump_plan -> file -> load_plan with every
   value intact (captions of any text, times, channels, overrides, settings),
   and dumping is deterministic.
2. Applying any valid plan and then diffing it shows no changes (one sandbox
   reused for every example, each example a plan of its own name).
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from reliability.figures import record
from reliability.harness import Box, ForkRunner, base_env

from planner.fsutil import sha256_file
from planner.planfile import dump_plan, load_plan

ZONES = ["UTC", "America/Mexico_City", "Europe/Madrid", "Asia/Kolkata", "Pacific/Chatham", "America/St_Johns"]
CHANNEL_REFS = ["tiktok-main", "youtube-shorts", "x-main", "linkedin-page"]
BASE = datetime(2031, 3, 1, tzinfo=UTC)

# Any text a caption generator could emit, except lone surrogates (not encodable as UTF-8).
captions = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=120)
plain_values = st.one_of(st.booleans(), st.integers(-10**6, 10**6), st.text(max_size=20))


@st.composite
def documents(draw, channel_refs=CHANNEL_REFS, caption_text=captions):
    zone = draw(st.sampled_from(ZONES))
    n = draw(st.integers(1, 6))
    minutes = draw(st.lists(st.integers(0, 60 * 24 * 30), min_size=n, max_size=n, unique=True))
    posts = []
    for i, minute in enumerate(minutes):
        at = (BASE + timedelta(minutes=minute)).astimezone(ZoneInfo(zone))
        chans = draw(st.lists(st.sampled_from(channel_refs), min_size=1, max_size=len(channel_refs), unique=True))
        post = {"key": f"clip-{i + 1:02d}", "clip": i + 1, "caption": draw(caption_text),
                "at": at.isoformat(), "channels": chans}
        if draw(st.booleans()):
            ref = draw(st.sampled_from(chans))
            override = {}
            if draw(st.booleans()):
                override["caption"] = draw(caption_text)
            if draw(st.booleans()):
                override["settings"] = draw(st.dictionaries(st.from_regex(r"[a-z][a-z_]{0,10}", fullmatch=True),
                                                            plain_values, max_size=3))
            if override:
                post["overrides"] = {ref: override}
        posts.append(post)
    return {"version": 1, "name": draw(st.from_regex(r"[a-z][a-z0-9-]{0,15}", fullmatch=True)),
            "timezone": zone, "posts": posts}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(doc=documents())
def test_any_valid_plan_round_trips_through_dump_and_load(tmp_path, doc):
    text = dump_plan(doc, "a plan\nmade by a property test")
    assert dump_plan(doc, "a plan\nmade by a property test") == text  # deterministic
    path = tmp_path / "p.yaml"
    path.write_text(text, "utf-8")
    plan = load_plan(path)
    record("property_examples")
    assert plan.name == doc["name"]
    assert plan.timezone.key == doc["timezone"]
    assert [p.key for p in plan.posts] == [p["key"] for p in doc["posts"]]
    for loaded, original in zip(plan.posts, doc["posts"], strict=True):
        assert loaded.caption == original["caption"]
        assert loaded.at == datetime.fromisoformat(original["at"])
        assert loaded.at.utcoffset() == datetime.fromisoformat(original["at"]).utcoffset()
        assert loaded.channels == original["channels"]
        for ref, override in original.get("overrides", {}).items():
            assert loaded.overrides[ref].caption == override.get("caption")
            assert loaded.overrides[ref].settings == override.get("settings", {})


# -- apply then diff --------------------------------------------------------------------------

_names = itertools.count(1)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    from planner.sandbox.server import SandboxServer
    from support.workspaces import make_workspace

    root = tmp_path_factory.mktemp("properties")
    server = SandboxServer(root / "sandbox.db", limit=100000).start()
    runner = ForkRunner(root / "runs")
    make_workspace(root / "ws", clips=6)
    yield root, Box(server.base_url, server.api_key, server), runner
    runner.close()
    server.stop()


# Any non-blank caption ('&', entities, newlines, emoji included: Postiz sanitises some of
# them, and the diff must compare what it stores), short enough for X and LinkedIn. '<' and
# '>' are refused by validate, and so by apply before anything is sent.
creator_text = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=90).filter(
    lambda s: s.strip() and "<" not in s and ">" not in s)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(doc=documents(channel_refs=["x-main", "linkedin-page"], caption_text=creator_text),
       with_media=st.booleans())
def test_applying_a_plan_then_diffing_it_shows_no_changes(world, doc, with_media):
    from support.workspaces import DEFAULT_VIDEO

    root, box, runner = world
    n = next(_names)
    doc["name"] = f"prop{n}"
    doc["id"] = f"propplan{n:04d}"
    # Each example gets its own month, so plans never meet in one minute.
    for post in doc["posts"]:
        post["at"] = (datetime.fromisoformat(post["at"]) + timedelta(days=40 * n)).isoformat()
        if with_media:
            path = f"output/{DEFAULT_VIDEO}/{(post['clip'] - 1) % 6 + 1}.mp4"
            post["media"] = {"path": path, "sha256": sha256_file(root / "ws" / path)}
    doc["source"] = {"workspace": "../ws"}
    plan = root / "plans" / f"prop{n}.yaml"
    plan.parent.mkdir(exist_ok=True)
    plan.write_text(dump_plan(doc, "property test"), "utf-8")
    env = {**base_env(root), "POSTIZ_API_URL": box.api_url, "POSTIZ_API_KEY": box.api_key}
    applied = runner.run(["apply", str(plan), "--auto-approve", "--rate-limit", "100000/h"], env)
    assert applied.rc == 0, applied.text
    diff = runner.run(["diff", str(plan), "--detailed-exitcode"], env)
    record("property_examples")
    assert diff.rc == 0, diff.text
    assert "No changes. Postiz matches the plan." in diff.stdout
    mine = [r for r in box.rows() if f'"cs1:propplan{n:04d}:' in (r.get("settings") or "")]
    assert len(mine) == sum(len(p["channels"]) for p in doc["posts"])  # it really posted them
