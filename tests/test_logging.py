"""`-v` / `-vv`: a trace of every request on stderr, for bug reports, that never holds the key.

The CLI runs as users run it (the installed console script, in a subprocess)
against the in-process sandbox, with a recognisable key; stderr is searched
for the key and for every 8-character piece of it.
"""

from __future__ import annotations

import json
import logging
import re

import pytest

from support.cli import run
from support.reconcile_helpers import PlanFile, Sandbox
from support.sandbox import running_sandbox

KEY = "csk_Q7vLx2KpZ9wRt4Nm8Jd3Hs6B"
FRAGMENTS = {KEY[i:i + 8] for i in range(len(KEY) - 7)}
REQUEST = r"^cliper-sched: {method} {path} {status} \d+ ms{suffix}$"


def request_line(method: str, path: str, status: int, suffix: str = "") -> re.Pattern:
    return re.compile(REQUEST.format(method=method, path=re.escape(path), status=status,
                                     suffix=suffix), re.M)


def leaks(text: str) -> list[str]:
    return sorted(f for f in FRAGMENTS if f in text)


@pytest.fixture
def sandbox(tmp_path):
    with running_sandbox(tmp_path, api_key=KEY, limit=30) as server:
        yield Sandbox(server)


@pytest.fixture
def env(sandbox, tmp_path):
    return {"POSTIZ_API_URL": sandbox.api_url, "POSTIZ_API_KEY": KEY, "NO_COLOR": "1",
            "CLIPER_SCHED_CACHE_DIR": str(tmp_path / "cache"), "CLIPER_SCHED_LOG": ""}


def cli(*args: str, env: dict, expect: int = 0):
    result = run(*args, env=env, timeout=120)
    text = result.output + result.error
    assert "Traceback" not in text, text
    assert result.exit_code == expect, text
    assert leaks(text) == [], text
    return result


# -- -v: one line per request ----------------------------------------------------------------


def test_v_shows_one_line_per_request_with_status_and_duration(env):
    result = cli("-v", "channels", env=env)
    assert "tiktok-main" in result.output
    lines = result.error.splitlines()
    assert len(lines) == 1, result.error
    assert request_line("GET", "/api/public/v1/integrations", 200).match(lines[0]), lines
    assert "cliper-sched:" not in result.output  # stdout carries the command's output only


def test_without_v_nothing_extra_goes_to_stderr(env):
    result = cli("channels", env=env)
    assert "tiktok-main" in result.output
    assert result.error == ""


def test_v_after_the_command_works_and_counts_add_up(env):
    after = cli("channels", "-v", env=env)
    assert request_line("GET", "/api/public/v1/integrations", 200).search(after.error)
    assert "bytes of" not in after.error  # -v alone: no debug detail
    both = cli("-v", "channels", "--verbose", env=env)  # -v before + -v after = -vv
    assert request_line("GET", "/api/public/v1/integrations", 200).search(both.error)
    assert "answered" in both.error and "bytes of application/json" in both.error


def test_json_stdout_stays_clean_with_vv(env):
    result = cli("-vv", "channels", "--json", env=env)
    json.loads(result.output)  # nothing of the trace in it
    assert request_line("GET", "/api/public/v1/integrations", 200).search(result.error)


def test_every_request_of_a_command_gets_its_line(env):
    result = cli("-v", "doctor", env=env)
    assert request_line("GET", "/api/public/v1/is-connected", 200).search(result.error)
    assert request_line("GET", "/api/public/v1/integrations", 200).search(result.error)
    assert all(line.startswith("cliper-sched: ") for line in result.error.splitlines())


def test_retries_are_logged(env, sandbox):
    sandbox.fault(method="GET", path="/public/v1/integrations", action="error", count=1)
    result = cli("-v", "channels", env=env)
    assert re.search(r"^cliper-sched: GET /api/public/v1/integrations 500, retry 1 of \d+ ",
                     result.error, re.M), result.error
    assert request_line("GET", "/api/public/v1/integrations", 200, r" \(after 1 retry\)").search(
        result.error), result.error


def test_a_refused_connection_is_logged_with_its_reason(env):
    result = cli("-v", "doctor", env={**env, "POSTIZ_API_URL": "http://127.0.0.1:9/api"}, expect=1)
    assert re.search(r"^cliper-sched: GET /api/public/v1/is-connected failed after \d+ ms: "
                     r"connection refused$", result.error, re.M), result.error


# -- -vv: rate limits and budget, never the key ------------------------------------------------


def test_vv_apply_shows_rate_limit_detail_and_never_the_key(env, sandbox, tmp_path):
    plan = PlanFile(tmp_path, posts=1, channels=("tiktok-main",))
    result = cli("-vv", "apply", str(plan), "--auto-approve", env=env)
    err = result.error
    assert len(sandbox.posts()) == 1  # it really posted
    # -v's line for the counted request: what the budget has left after it.
    assert request_line("POST", "/api/public/v1/posts", 201, r" \(counted; 29/30 left\)").search(err), err
    assert request_line("POST", "/api/public/v1/upload", 201).search(err), err
    assert request_line("GET", "/api/public/v1/integrations", 200).search(err), err
    # -vv's detail: headers seen, the budget's decision before sending, answer sizes.
    assert re.search(r"POST /api/public/v1/posts answered \d+ bytes of application/json; "
                     r"X-RateLimit-Limit 30, X-RateLimit-Remaining 29, X-RateLimit-Reset \d+", err), err
    assert re.search(r"^cliper-sched: budget: \d+/30 counted requests left .*: sending POST "
                     r"/api/public/v1/posts$", err, re.M), err
    assert leaks(err + result.output) == []
    assert "cliper-sched:" not in result.output


def test_vv_with_a_wrong_or_bearer_key_never_logs_it(env):
    for key in (KEY[::-1], "Bearer " + KEY):
        result = cli("-vv", "channels", env={**env, "POSTIZ_API_KEY": key}, expect=1)
        assert request_line("GET", "/api/public/v1/integrations", 401).search(result.error), result.error
        assert leaks(result.error) == [] and KEY[::-1] not in result.error


# -- the switch: env var, help -----------------------------------------------------------------


def test_cliper_sched_log_env_var_is_the_same_switch(env):
    info = cli("channels", env={**env, "CLIPER_SCHED_LOG": "info"})
    assert request_line("GET", "/api/public/v1/integrations", 200).search(info.error)
    assert "bytes of" not in info.error
    debug = cli("channels", env={**env, "CLIPER_SCHED_LOG": "DEBUG"})
    assert "bytes of application/json" in debug.error
    wrong = cli("channels", env={**env, "CLIPER_SCHED_LOG": "loud"})
    assert "CLIPER_SCHED_LOG='loud' is not one of info, debug" in wrong.error
    assert "/api/public/v1/integrations" not in wrong.error


def test_help_documents_the_flag():
    top = run("--help").output
    assert "-v, --verbose" in top and "-vv" in top and "CLIPER_SCHED_LOG" in top
    assert "--verbose" in run("diff", "--help").output


# -- in-process: the logging setup other modules rely on -----------------------------------


@pytest.fixture
def planner_logging():
    from planner import logs

    logger = logging.getLogger(logs.ROOT)
    saved = (logger.level, list(logger.handlers), set(logs._secrets))
    yield logs
    logger.setLevel(saved[0])
    logger.handlers[:] = saved[1]
    logs._secrets.clear()
    logs._secrets.update(saved[2])


def test_any_planner_logger_shows_at_v_and_the_key_is_redacted_everywhere(planner_logging, capsys):
    logs = planner_logging
    logs.add_secret(KEY)
    logs.setup(1, environ={})
    log = logging.getLogger("planner.reconcile.example")
    log.info("adopted clip-01 (key was %s)", KEY)
    log.debug("not shown at -v")
    try:
        raise ValueError(f"bad {KEY}")
    except ValueError:
        log.warning("kept drift on %s", "clip-02", exc_info=True)
    out, err = capsys.readouterr()
    assert out == ""
    assert "cliper-sched: adopted clip-01 (key was <redacted>)" in err
    assert "cliper-sched: warning: kept drift on clip-02" in err
    assert "ValueError: bad <redacted>" in err  # tracebacks too
    assert "not shown" not in err and leaks(err) == []
    logs.setup(2, environ={})  # -vv: same handler, lower level, never two lines per record
    log.debug("now shown")
    err = capsys.readouterr().err
    assert err == "cliper-sched: now shown\n"


def test_without_v_only_warnings_show(planner_logging, capsys):
    logs = planner_logging
    logs.setup(0, environ={})
    log = logging.getLogger("planner.reconcile.example")
    log.info("quiet")
    log.warning("loud")
    assert capsys.readouterr().err == "cliper-sched: warning: loud\n"


def test_a_bearer_prefixed_key_is_redacted_alone_too(planner_logging):
    logs = planner_logging
    logs.add_secret("Bearer " + KEY)
    assert logs.scrub(f"Authorization: Bearer {KEY}; raw {KEY}") == \
        "Authorization: <redacted>; raw <redacted>"

