"""Server faults during a 60-clip, 3-channel apply (180 posts): a 500 on every kind
of request, a delay past the client's timeout, a request carried out whose answer
is lost, a 429, lost or stale state. After each, a plain re-run converges: Postiz
holds exactly the plan's posts, none twice, none missing, and the state is valid.
"""

from __future__ import annotations

import json
import shutil

import pytest
from reliability.figures import record
from reliability.harness import Project, assert_converged, duplicates, verdict

SETTLE = {"CLIPER_SCHED_SETTLE_SECONDS": "1"}  # an unanswered create gets 1 s to land, not 2 min

POSTS = "/public/v1/posts"
ROUTES = {
    "list": ("GET", POSTS),
    "upload": ("POST", "/public/v1/upload"),
    "create": ("POST", POSTS),
    "edit": ("POST", POSTS),
    "delete": ("DELETE", "/public/v1/posts/group/*"),
    "settings": ("PUT", "/public/v1/posts/*/settings"),
}


def _edit_captions(project: Project, posts=range(4, 9)) -> None:
    doc = project.document()
    for i in posts:
        doc["posts"][i]["caption"] += " (editado)"
    project.save(doc)


def _remove_posts(project: Project, count: int = 3) -> None:
    doc = project.document()
    doc["posts"] = doc["posts"][:-count]
    project.save(doc)


def _retitle(project: Project, posts=range(0, 4)) -> None:
    doc = project.document()
    for i in posts:
        doc["posts"][i].setdefault("overrides", {})["youtube-shorts"] = {"settings": {"title": f"Nuevo título {i}"}}
    project.save(doc)


CHANGES = {"list": None, "upload": None, "create": None, "edit": _edit_captions, "delete": _remove_posts,
           "settings": _retitle}


def _survive(project: Project, first, *, knobs: dict | None = None) -> None:
    """The faulty run said what happened without a traceback and duplicated nothing;
    a plain re-run then converges."""
    assert "Traceback" not in first.text, first.text
    assert first.rc in (0, 1, 3, 4), first.text
    fired = project.box.clear_faults()
    injected = sum(f["fired"] for f in fired)
    assert injected >= 1, f"the fault never fired: {fired}"
    assert duplicates(project.box) == [], first.text
    record("faults_injected", injected)
    again = project.apply(**{**SETTLE, **(knobs or {})})
    assert again.rc == 0, again.text
    assert_converged(project)
    record("faults_survived", injected)


@pytest.mark.parametrize("kind", list(ROUTES))
def test_a_500_on_each_kind_of_request(project_factory, compat, kind):
    if kind == "settings" and compat == "v2.23.0":
        pytest.skip("v2.23.0 has no PUT /posts/:id/settings: settings changes go through edits there")
    change = CHANGES[kind]
    project = project_factory(compat, applied=change is not None)
    if change:
        change(project)
    method, path = ROUTES[kind]
    # GET is retried 3 times by the client: make the 500 outlast its retries.
    project.box.fault(method=method, path=path, action="error", nth=2, count=4 if method == "GET" else 1)
    first = project.apply(**SETTLE)
    assert first.rc != 0 or kind == "list", first.text
    _survive(project, first)


@pytest.mark.parametrize("kind", ["create", "edit", "upload", "delete", "list"])
def test_a_request_carried_out_whose_answer_is_lost(project_factory, compat, kind):
    change = CHANGES[kind]
    project = project_factory(compat, applied=change is not None)
    if change:
        change(project)
    method, path = ROUTES[kind]
    project.box.fault(method=method, path=path, action="drop", nth=2)
    first = project.apply(**SETTLE)
    _survive(project, first)


@pytest.mark.parametrize("kind", ["create", "edit", "upload", "list"])
def test_an_answer_slower_than_the_client_timeout(project_factory, kind):
    change = CHANGES[kind]
    project = project_factory("main", applied=change is not None)
    if change:
        change(project)
    method, path = ROUTES[kind]
    # The client gives up after 1 s; the server finishes the request 1.5 s later.
    project.box.fault(method=method, path=path, action="delay", seconds=2.5, nth=2)
    first = project.apply(POSTIZ_TIMEOUT="1", CLIPER_SCHED_SETTLE_SECONDS="3")
    _survive(project, first, knobs={"CLIPER_SCHED_SETTLE_SECONDS": "3"})


def test_429_mid_run_with_no_wait_then_rerun(project_factory, compat):
    project = project_factory(compat, limit=20)
    # Foreseen: the budget stops before Postiz would refuse (no 429, no hour-long block).
    first = project.apply("--rate-limit", "20/h", "--no-wait")
    assert first.rc == 3, first.text
    assert "Stopped: the rate-limit budget is spent." in first.stdout
    assert project.box.control("GET", "ratelimit")["hits"] == 20
    assert duplicates(project.box) == []
    assert len(project.box.rows()) == 20 * 3
    # Unforeseen: the budget memory is gone (another machine, a wiped cache): Postiz answers 429.
    shutil.rmtree(project.root / "cache")
    second = project.apply("--rate-limit", "1000/h", "--no-wait")
    assert second.rc == 3, second.text
    assert "Traceback" not in second.text
    assert project.box.control("GET", "ratelimit")["blocked_for"] > 0  # a real 429 happened
    assert len(project.box.rows()) == 20 * 3
    record("faults_injected", 2)
    # Three hours later on the server's clock, a window of 20 at a time finishes the job.
    runs = 0
    while True:
        project.box.control("POST", "clock", {"advance_seconds": 3 * 3600})
        shutil.rmtree(project.root / "cache", ignore_errors=True)
        last = project.apply("--rate-limit", "20/h", "--no-wait", **SETTLE)
        assert last.rc in (0, 3), last.text
        assert duplicates(project.box) == []
        runs += 1
        if last.rc == 0:
            break
        assert runs < 5, last.text
    assert_converged(project)
    record("faults_survived", 2)


def test_lost_state_file_is_rebuilt_without_duplicates(project_factory, compat):
    project = project_factory(compat, applied=True)
    ids = {a: o["post_id"] for a, o in json.loads(project.state_path.read_text())["posts"].items()}
    project.state_path.unlink()
    again = project.apply(**SETTLE)
    assert again.rc == 0, again.text
    assert_converged(project)
    # The same posts, adopted: nothing re-created.
    assert {a: o["post_id"] for a, o in json.loads(project.state_path.read_text())["posts"].items()} == ids
    record("faults_injected")
    record("faults_survived")


def test_lost_state_file_mid_run(project_factory, compat):
    project = project_factory(compat)
    crashed = project.apply(FORKRUN_KILL_AT="after-request:80")
    assert crashed.killed, crashed.text
    project.state_path.unlink()
    again = project.apply(**SETTLE)
    assert again.rc == 0, again.text
    assert_converged(project)
    record("faults_injected", 2)
    record("kill_points", 1)
    record("faults_survived", 2)


def test_state_file_left_from_an_older_version_of_the_plan(project_factory, compat):
    project = project_factory(compat)
    full = project.document()
    older = dict(full, posts=full["posts"][:25])
    older["posts"][3]["caption"] = "Una versión vieja de este texto"
    project.save(older)
    assert project.apply().rc == 0
    stale = project.state_path.read_text()
    project.save(full)
    assert project.apply().rc == 0
    project.state_path.write_text(stale)  # e.g. `git checkout` of an old commit's state file
    again = project.apply(**SETTLE)
    assert again.rc == 0, again.text
    assert_converged(project)
    record("faults_injected")
    record("faults_survived")


@pytest.mark.parametrize("damage", ["truncated", "not-json"])
def test_a_state_file_that_is_not_this_plans_stops_before_any_change(project_factory, damage):
    project = project_factory("main", applied=True)
    text = project.state_path.read_text()
    if damage == "truncated":
        project.state_path.write_text(text[: len(text) // 2])
    else:
        project.state_path.write_bytes(b"\x00\xff junk")
    before = project.box.rows()
    _edit_captions(project)  # there is something to do: it must still not be done
    run = project.apply()
    assert run.rc == 1, run.text
    assert "Traceback" not in run.text
    assert str(project.state_path) in run.stderr
    assert "import" in run.stderr  # says how to recover
    assert project.box.rows() == before
    record("faults_injected")
    record("faults_survived")


def test_a_state_file_of_another_plan_is_only_an_ignored_cache(project_factory):
    """The state is a cache: another plan's (a copied file, a wrong checkout) is left out
    with a note, and Postiz's markers carry the run: no duplicate, the edits applied."""
    project = project_factory("main", applied=True)
    data = json.loads(project.state_path.read_text())
    data["plan_id"] = "someone-elses-plan"
    project.state_path.write_text(json.dumps(data))
    _edit_captions(project)
    run = project.apply()
    assert run.rc == 0, run.text
    assert "belongs to plan id 'someone-elses-plan'" in run.stdout + run.stderr
    assert_converged(project)
    record("faults_injected")
    record("faults_survived")


def test_a_drop_and_a_500_in_the_same_run_on_the_old_version(project_factory):
    """v2.23.0 lists no settings: ownership after a lost answer rests on channel + time + content."""
    project = project_factory("v2.23.0")
    project.box.fault(method="POST", path=POSTS, action="drop", nth=5)
    project.box.fault(method="POST", path=POSTS, action="error", nth=30)
    first = project.apply(**SETTLE)
    v = verdict(project)
    assert v.duplicates == []
    _survive(project, first)


def test_the_checks_themselves_catch_a_duplicate_a_lost_post_and_a_bad_state(project_factory):
    """The convergence check must be able to fail, or the matrix above proves nothing."""
    from planner.postiz.client import PostizClient
    from planner.postiz.models import PostEntry
    from planner.reconcile.normalize import instant

    project = project_factory("main", applied=True)
    assert verdict(project, count=False).ok  # planted faults below are not counted in the figures
    row = project.box.rows()[0]
    client = PostizClient(project.box.api_url, project.box.api_key)
    settings = {k: v for k, v in json.loads(row["settings"]).items() if k != "__type"}
    copy = PostEntry(row["channel_id"], row["content"], media=json.loads(row["image"]), settings=settings)
    [(copy_id, _)] = client.create_posts(instant(row["publishDate"]), [copy])
    assert verdict(project, count=False).duplicates
    assert client.delete_post(row["id"]) and client.delete_post(copy_id)
    v = verdict(project, count=False)
    assert v.lost and not v.duplicates
    project.state_path.write_text('{"version": 1}')
    assert verdict(project, count=False).state_problems
