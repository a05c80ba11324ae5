"""Every broken input in manifest.yaml: exit 1, a message naming the file and the
place in it, no traceback, nothing changed on disk or in Postiz."""

from __future__ import annotations

import pytest
from badinput.runner import build, load_cases, snapshot
from reliability.figures import record
from reliability.harness import Box, ForkRunner, base_env

CASES = load_cases()


@pytest.fixture(scope="module")
def runner(tmp_path_factory):
    r = ForkRunner(tmp_path_factory.mktemp("badinput-runs"))
    yield r
    r.close()


@pytest.fixture
def box(tmp_path):
    """A fresh sandbox per case: what one case wrongly created cannot hide another's behaviour."""
    from planner.sandbox.server import SandboxServer

    server = SandboxServer(tmp_path / "sandbox" / "sandbox.db", limit=1000).start()
    yield Box(server.base_url, server.api_key, server)
    server.stop()


def test_the_corpus_is_big_enough():
    assert len(CASES) >= 40
    assert len({c.id for c in CASES}) == len(CASES)


def _params():
    for case in CASES:
        marks = [pytest.mark.xfail(strict=True, reason=case.xfail)] if case.xfail else []
        yield pytest.param(case, id=case.id, marks=marks)


@pytest.mark.parametrize("case", list(_params()))
def test_bad_input(case, tmp_path, runner, box):
    root = tmp_path / "repo"
    values = build(case, root)
    argv = [part.format(**values) for part in case.command]
    env = {**base_env(root), "CLIPER_SCHED_CACHE_DIR": str(tmp_path / "cache"),
           "POSTIZ_API_URL": box.api_url, "POSTIZ_API_KEY": box.api_key}
    if case.memory_mb:
        env["FORKRUN_MEMORY_MB"] = str(case.memory_mb)
    if case.timeout:
        env["FORKRUN_TIMEOUT"] = str(case.timeout)
    disk_before = snapshot(root)
    postiz_before = box.control("GET", "posts")["posts"] if case.sandbox else None
    hits_before = box.control("GET", "ratelimit")["hits"] if case.sandbox else None

    run = runner.run(argv, env)
    record("bad_inputs_tried")

    output = run.stdout + run.stderr
    assert "Traceback" not in output, output
    # Whatever the input held, nothing reaches the terminal as a control sequence.
    assert "\x1b" not in output and "\r" not in output, repr(output)
    assert run.signal is None, f"killed by signal {run.signal}"
    assert run.rc == case.exit, output
    assert case.expect["where"] in output, output
    assert case.expect["message"] in output, output
    assert snapshot(root) == disk_before, "the command changed files on disk"
    if case.sandbox:
        assert box.control("GET", "posts")["posts"] == postiz_before, "the command changed Postiz"
        assert box.control("GET", "ratelimit")["hits"] == hits_before
    record("bad_inputs_refused_cleanly")


def test_the_unbroken_originals_pass(tmp_path, runner):
    """Every broken input is one edit away from corpus/_valid.yaml or _valid-rules.yaml:
    those pass, so each case fails for its own breakage and nothing else."""
    from badinput.runner import Case

    case = Case(id="valid", command=[], expect={}, input="corpus/_valid.yaml", rules="corpus/_valid-rules.yaml")
    values = build(case, tmp_path)
    env = base_env(tmp_path)
    validated = runner.run(["validate", values["plan"]], env)
    assert validated.rc == 0, validated.text
    planned = runner.run(["plan", values["ws"], "--rules", values["rules"], "-o", str(tmp_path / "out.yaml")], env)
    assert planned.rc == 0, planned.text
