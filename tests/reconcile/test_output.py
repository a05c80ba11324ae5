"""What diff and apply tell a user and a script: the rate limit they plan with
(and where it comes from), and the documented `--json` shape
(schemas/changes.schema.json) for every kind of change, drift and result."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema

from support.reconcile_helpers import at, run

SCHEMA = json.loads((Path(__file__).parents[2] / "planner" / "schemas" / "changes.schema.json").read_text())


def _valid(data: dict) -> dict:
    jsonschema.Draft202012Validator(SCHEMA).validate(data)
    return data


def test_budget_line_names_the_real_limit_and_whether_it_is_assumed(sandbox_factory, env, plan):
    box = sandbox_factory(limit=12)  # this Postiz runs with API_LIMIT=12, not the shipped 30
    env(box)
    first = run("diff", str(plan))
    assert "Counted Postiz requests needed: 3 (within the current budget at 30/h, assumed: " \
           "set --rate-limit to your Postiz API_LIMIT)." in first.output, first.output
    flagged = run("diff", str(plan), "--rate-limit", "12/h")
    assert "at 12/h, from --rate-limit)." in flagged.output
    assert run("apply", str(plan), "--auto-approve").exit_code == 0  # Postiz answers X-RateLimit-Limit: 12

    plan.doc["posts"][0]["caption"] = "a new caption"
    plan.save()
    told = run("diff", str(plan))
    assert "Counted Postiz requests needed: 1 (within the current budget at 12/h, as Postiz reported)." \
        in told.output, told.output
    data = _valid(json.loads(run("diff", str(plan), "--json").output))
    assert data["rate_limit"] == {"per_hour": 12, "source": "postiz"}
    assert data["counted_requests"] == 1


def test_a_new_rate_limit_flag_replaces_an_earlier_runs_assumption(tmp_path, monkeypatch):
    from datetime import UTC, datetime, timedelta

    from planner.commands.options import setup_budget
    from planner.postiz.budget import RateBudget
    from planner.reconcile import budgetcache

    monkeypatch.setenv("CLIPER_SCHED_CACHE_DIR", str(tmp_path))
    earlier = RateBudget(30)  # an earlier run assumed 30/h and spent 2 (no counted answer seen)
    earlier.restore({"limit": 30, "remaining": 28, "known": False,
                     "reset_at": (datetime.now(UTC) + timedelta(minutes=30)).isoformat(), "blocked_until": None})
    budgetcache.save(earlier, "http://127.0.0.1:1/api")

    class Client:
        api_url = "http://127.0.0.1:1/api"

    client = Client()
    setup_budget(client, "10/h")
    assert (client.budget.limit, client.budget.available()) == (10, 8)


def test_diff_json_shape_holds_for_every_kind_of_change_and_drift(sandbox_main, plan):
    sandbox = sandbox_main
    assert _valid(json.loads(run("diff", str(plan), "--json").output))["summary"]["add"] == 6
    run("apply", str(plan), "--auto-approve")
    clean = _valid(json.loads(run("diff", str(plan), "--json").output))
    assert clean["changes"] == [] and clean["summary"]["unchanged"] == 6 and clean["counted_requests"] == 0

    state = plan.state()["posts"]
    sandbox.control("POST", f"posts/{state['clip-03@x-main']['post_id']}/dashboard-edit",
                    {"content": "dash", "drop_unknown_settings": True})
    plan.doc["posts"][0]["at"] = at(4, 9)                                   # update
    del plan.doc["posts"][1]                                                 # 2 deletes
    plan.doc["posts"].append(plan.post(7))                                   # 2 creates
    plan.save()
    data = _valid(json.loads(run("diff", str(plan), "--json").output))
    actions = sorted((c["action"], c["address"]) for c in data["changes"])
    assert actions == [("create", "clip-07@tiktok-main"), ("create", "clip-07@x-main"),
                       ("delete", "clip-02@tiktok-main"), ("delete", "clip-02@x-main"),
                       ("update", "clip-01@tiktok-main"), ("update", "clip-01@x-main")]
    update = next(c for c in data["changes"] if c["action"] == "update")
    assert update["fields"] == [{"path": "at", "old": "2031-03-01T14:00:00.000Z", "new": "2031-03-04T15:00:00.000Z"}]
    assert [(d["address"], d["how"], d["action"]) for d in data["drift"]] == [("clip-03@x-main", "edited", "keep")]
    assert data["markers_to_restore"] == ["clip-03@x-main"]
    assert data["summary"] == {"add": 2, "change": 2, "destroy": 2, "drift": 1, "unchanged": 1}


def test_apply_json_is_only_json_on_stdout_even_when_posts_are_refused(sandbox_main, plan):
    # Postiz refuses it; no check of the plan knows this setting, so it is sent.
    plan.doc["posts"][1]["overrides"] = {"x-main": {"settings": {"community": "https://example.com/c"}}}
    plan.save()
    result = run("apply", str(plan), "--auto-approve", "--json")
    assert result.exit_code == 4
    data = _valid(json.loads(result.output))  # progress lines went to stderr
    assert data["result"]["added"] == 5
    assert [f["address"] for f in data["result"]["failures"]] == ["clip-02@x-main"]
    assert data["result"]["failures"][0]["message"]


def test_the_diff_names_the_media_file_next_to_its_checksum(sandbox_main, plan):
    first = plan.doc["posts"][0]["media"]
    shown = run("diff", str(plan))
    assert f"      media:    output/ep12/1.mp4 (sha256:{first['sha256'][:12]}…)" in shown.output, shown.output
    data = _valid(json.loads(run("diff", str(plan), "--json").output))
    create = next(c for c in data["changes"] if c["address"] == "clip-01@tiktok-main")
    assert create["media_files"] == [{"path": "output/ep12/1.mp4", "sha256": first["sha256"]}]
    assert run("apply", str(plan), "--auto-approve").exit_code == 0

    plan.doc["posts"][0]["media"] = plan.doc["posts"][2]["media"]  # another clip for post 1
    plan.save()
    changed = run("diff", str(plan))
    third = plan.doc["posts"][2]["media"]["sha256"]
    assert (f"      media: sha256:{first['sha256'][:12]}… → output/ep12/3.mp4 (sha256:{third[:12]}…)"
            in changed.output), changed.output
    data = _valid(json.loads(run("diff", str(plan), "--json").output))
    update = next(c for c in data["changes"] if c["address"] == "clip-01@tiktok-main")
    assert update["media_files"] == [{"path": "output/ep12/3.mp4", "sha256": third}]
