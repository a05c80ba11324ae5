"""`cliper-sched channels` and `cliper-sched doctor` against the sandbox, as a user runs them."""

from __future__ import annotations

import json
import re
import subprocess
from datetime import UTC, datetime, timedelta

import pytest

from planner.postiz.client import PostizClient
from planner.postiz.diagnose import _clock_check
from planner.postiz.errors import RateLimited
from planner.postiz.models import PostEntry
from planner.reconcile import budgetcache
from support.cli import argv as cliper_sched
from support.cli import run as cli_run
from support.client_helpers import CHANNELS, KEY, channel_ids, control

WHEN = datetime(2031, 3, 4, 10, 0, tzinfo=UTC)

ANSI = re.compile(r"\x1b\[[0-9;]*m")


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    """Where applies keep the rate-limit budget: never the user's real cache."""
    monkeypatch.setenv("CLIPER_SCHED_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


def run(args, url, key=KEY, tty=False, **env):
    environ = {"POSTIZ_API_URL": url, "POSTIZ_API_KEY": key, "NO_COLOR": "",
               "FORCE_COLOR": "1" if tty else "", **env}
    # FORCE_COLOR: escape codes as a terminal would receive them (stdout is a pipe here).
    return cli_run(*args, env=environ)


def doctor(url, key=KEY, *extra):
    result = run(["doctor", "--json", *extra], url, key)
    report = json.loads(result.output)
    return result.exit_code, {c["name"]: c for c in report["checks"]}, report


# -- channels ------------------------------------------------------------------------

def test_channels_table_is_aligned_and_plain_when_not_a_tty(sandbox):
    control(sandbox, "POST", "channels", {"provider": "tiktok", "name": "Old TikTok",
                                          "disabled": True, "customer": {"id": "c1", "name": "Acme"}})
    result = run(["channels"], sandbox.api_url)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert not ANSI.search(result.output)
    assert lines[0].split() == ["ID", "PROVIDER", "NAME", "DISABLED", "CUSTOMER"]
    assert len(lines) == 1 + len(CHANNELS) + 1
    starts = [lines[0].index(h) for h in ("PROVIDER", "NAME", "DISABLED", "CUSTOMER")]
    tiktok = next(line for line in lines if "Old TikTok" in line)
    assert [tiktok.index(v) for v in ("tiktok", "Old TikTok", "yes", "Acme")] == starts
    for line in lines[1:]:
        assert line[starts[0]:].split()[0] in {"linkedin", "x", "youtube", "tiktok"}


def test_channels_colour_only_when_forced_and_not_with_no_color(sandbox):
    forced = run(["channels"], sandbox.api_url, tty=True, FORCE_COLOR="1")
    assert ANSI.search(forced.output)
    plain = ANSI.sub("", forced.output)
    assert plain == run(["channels"], sandbox.api_url).output  # colour never shifts columns
    assert not ANSI.search(run(["channels"], sandbox.api_url, tty=True, FORCE_COLOR="1",
                               NO_COLOR="1").output)


def test_channels_json(sandbox):
    result = run(["channels", "--json"], sandbox.api_url)
    data = json.loads(result.output)
    assert sorted((c["provider"], c["name"]) for c in data) == sorted(CHANNELS)
    assert set(data[0]) == {"id", "name", "provider", "picture", "disabled", "profile", "customer"}


def test_channels_errors_are_one_clear_line_without_traceback(sandbox, tmp_path):
    env = {"POSTIZ_API_URL": sandbox.api_url, "POSTIZ_API_KEY": "wrong-key", "PATH": "",
           "HOME": str(tmp_path)}
    proc = subprocess.run([*cliper_sched(), "channels"], env=env,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1
    assert proc.stderr.startswith("Error: Postiz refused the API key (401): Invalid API key")
    assert "Traceback" not in proc.stderr and "wrong-key" not in proc.stderr
    missing = subprocess.run([*cliper_sched(), "channels"],
                             env={"PATH": "", "HOME": str(tmp_path)},
                             capture_output=True, text=True, timeout=60)
    assert missing.returncode == 1 and "POSTIZ_API_URL" in missing.stderr


def test_api_key_file_option(sandbox, tmp_path):
    key_file = tmp_path / "postiz.key"
    key_file.write_text(KEY + "\n")
    result = run(["channels", "--api-url", sandbox.api_url, "--api-key-file", str(key_file)],
                  "http://127.0.0.1:1/unused", key="")
    assert result.exit_code == 0 and "Acme Clips" in result.output


@pytest.fixture
def forward_proxy(sandbox):
    """A plain HTTP forward proxy on 127.0.0.1 that passes GETs on to the sandbox and
    records each request line as it came (absolute-form URLs, as clients send a proxy)."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    from urllib.parse import urlsplit

    import requests

    seen: list[str] = []

    class Proxy(BaseHTTPRequestHandler):
        def do_GET(self):
            seen.append(self.requestline)
            target = urlsplit(self.path)
            answer = requests.get(sandbox.base_url + target.path + (f"?{target.query}" if target.query else ""),
                                  headers={"Authorization": self.headers.get("Authorization", "")}, timeout=10)
            self.send_response(answer.status_code)
            self.send_header("Content-Type", answer.headers.get("Content-Type", "application/json"))
            self.send_header("Content-Length", str(len(answer.content)))
            self.end_headers()
            self.wfile.write(answer.content)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Proxy)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", seen
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("name", ["http_proxy", "HTTP_PROXY"])
def test_requests_go_through_the_proxy_the_environment_names_unless_no_proxy_says(forward_proxy, name,
                                                                                  monkeypatch):
    """Behind a company proxy, Postiz is reached through it (HTTP_PROXY and friends, as
    every tool reads them), and NO_PROXY sends that host's requests direct."""
    proxy, seen = forward_proxy
    # A host only the proxy can reach: the name does not resolve here.
    url = "http://postiz.invalid:5000/api"
    for var in ("http_proxy", "HTTP_PROXY", "no_proxy", "NO_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)
    result = run(["channels"], url, **{name: proxy})
    assert result.exit_code == 0, result.output + result.error
    assert all(name in result.output for _, name in CHANNELS), result.output
    assert seen and all(line.startswith("GET http://postiz.invalid:5000/api/public/v1/") for line in seen), seen

    seen.clear()
    direct = run(["channels"], url, **{name: proxy, "NO_PROXY": "postiz.invalid"})
    assert direct.exit_code != 0 and seen == []
    assert "postiz.invalid" in direct.error and "Traceback" not in direct.error


# -- doctor --------------------------------------------------------------------------

def test_doctor_all_good(sandbox):
    code, checks, report = doctor(sandbox.api_url)
    assert code == 0 and report["ok"] is True
    assert list(checks) == ["config", "reachable", "api", "key", "channels", "rate-limit", "clock", "behaviour",
                           "media"]
    assert all(c["status"] in ("ok", "info") for c in checks.values())
    assert "3 channels" in checks["channels"]["message"]
    assert KEY not in json.dumps(report)


def test_doctor_human_output(sandbox):
    result = run(["doctor"], sandbox.api_url)
    assert result.exit_code == 0
    assert result.output.splitlines()[0].startswith("ok    config")
    assert result.output.rstrip().endswith("all checks passed")


def test_doctor_unreachable_port(dead_url):
    code, checks, _ = doctor(dead_url)
    assert code == 1
    assert checks["reachable"]["status"] == "fail"
    assert "connection refused" in checks["reachable"]["message"]
    assert "docker compose up" in checks["reachable"]["hint"]
    assert checks["key"]["status"] == "skip"


def test_doctor_wrong_path_is_not_the_api(html_server):
    code, checks, _ = doctor(html_server)
    assert code == 1
    assert checks["reachable"]["status"] == "ok"
    assert checks["api"]["status"] == "fail"
    assert "not the Postiz public API" in checks["api"]["message"]
    assert f"{html_server}/api" in checks["api"]["hint"]


def test_doctor_finds_the_right_base_url(sandbox):
    # The sandbox answers at /api; pointing one level too deep is a common mistake.
    code, checks, _ = doctor(sandbox.api_url + "/api")
    assert code == 1 and checks["api"]["status"] == "fail"
    assert f"POSTIZ_API_URL={sandbox.api_url}" in checks["api"]["hint"]


def test_doctor_bad_key(sandbox):
    code, checks, _ = doctor(sandbox.api_url, "0" * 64)
    assert code == 1
    assert checks["api"]["status"] == "ok"
    assert checks["key"]["status"] == "fail" and "Invalid API key" in checks["key"]["message"]
    assert checks["channels"]["status"] == "skip"


def test_doctor_bearer_prefix(sandbox):
    code, checks, report = doctor(sandbox.api_url, f"Bearer {KEY}")
    assert code == 1 and "Bearer" in checks["key"]["hint"]
    assert KEY not in json.dumps(report)


def test_doctor_no_channels(make_sandbox):
    server = make_sandbox(channels=[])
    for channel in control(server, "GET", "channels"):  # drop the default channels, if any
        control(server, "PATCH", f"channels/{channel['id']}", {"deleted": True})
    code, checks, _ = doctor(server.api_url)
    assert code == 1
    assert checks["channels"]["status"] == "fail"
    assert "Add Channel" in checks["channels"]["hint"]


def test_doctor_disabled_channel_warns_and_strict_fails(sandbox):
    with PostizClient(sandbox.api_url, KEY) as client:
        x = channel_ids(client)["x"]
    control(sandbox, "PATCH", f"channels/{x}", {"disabled": True})
    code, checks, _ = doctor(sandbox.api_url)
    assert code == 0
    assert checks["channels"]["status"] == "warn"
    assert "Acme X" in checks["channels"]["message"] and "disabled" in checks["channels"]["message"]
    strict_code, _, _ = doctor(sandbox.api_url, KEY, "--strict")
    assert strict_code == 1


def test_doctor_missing_configuration():
    result = cli_run("doctor", "--json", env={"POSTIZ_API_URL": "", "POSTIZ_API_KEY": ""})
    report = json.loads(result.output)
    assert result.exit_code == 1
    assert report["checks"][0]["status"] == "fail"
    assert "POSTIZ_API_URL" in report["checks"][0]["hint"]


@pytest.mark.parametrize("args", [["doctor", "--help"], ["channels", "--help"]])
def test_help_mentions_the_connection_options(args):
    result = cli_run(*args)
    assert "--api-url" in result.output and "--api-key-file" in result.output
    assert "--ca-bundle" in result.output


def test_doctor_reports_the_budget_an_apply_saved(make_sandbox):
    server = make_sandbox(channels=CHANNELS, limit=2)
    with PostizClient(server.api_url, KEY) as client:
        client.create_posts(WHEN, [PostEntry(channel_ids(client)["linkedin"], "one")])
        budgetcache.save(client.budget, client.api_url)  # what apply does after a run
    code, checks, _ = doctor(server.api_url)
    assert code == 0 and checks["rate-limit"]["status"] == "ok"
    assert checks["rate-limit"]["message"].startswith("1 of 2 create/edit requests left")
    assert control(server, "GET", "ratelimit")["hits"] == 1  # doctor spent nothing


def test_doctor_warns_while_the_organisation_is_blocked(make_sandbox):
    server = make_sandbox(channels=CHANNELS, limit=1)
    with PostizClient(server.api_url, KEY) as client:
        entry = [PostEntry(channel_ids(client)["linkedin"], "one")]
        client.create_posts(WHEN, entry)
        client.budget.restore({"limit": 1, "remaining": 1})  # as if it had not learnt it
        with pytest.raises(RateLimited):
            client.create_posts(WHEN, entry)
        budgetcache.save(client.budget, client.api_url)
    code, checks, _ = doctor(server.api_url)
    assert checks["rate-limit"]["status"] == "warn"
    assert "blocked" in checks["rate-limit"]["message"]


@pytest.mark.parametrize("skew, status", [(0, "ok"), (30, "ok"), (-300, "fail"), (300, "fail")])
def test_clock_check_compares_with_the_server_date(skew, status):
    client = PostizClient("http://127.0.0.1:1/api", KEY)  # nothing is sent
    now = datetime.now(UTC).replace(microsecond=0)
    client.last_date, client.last_date_local = now, now + timedelta(seconds=skew)
    check = _clock_check(client)
    assert check.status == status
    if status == "fail":
        assert "ahead" in check.message if skew > 0 else "behind" in check.message
        assert "ntp" in check.hint.lower()


def test_doctor_colour_only_on_a_terminal_and_never_with_no_color(sandbox):
    forced = run(["doctor"], sandbox.api_url, tty=True, FORCE_COLOR="1")
    assert forced.exit_code == 0 and ANSI.search(forced.output)
    assert ANSI.sub("", forced.output).splitlines()[0].startswith("ok    config")
    for env in ({"NO_COLOR": "1", "FORCE_COLOR": "1"}, {}):
        plain = run(["doctor"], sandbox.api_url, tty=bool(env), **env)
        assert not ANSI.search(plain.output)
    as_json = run(["doctor", "--json"], sandbox.api_url, tty=True, FORCE_COLOR="1")
    assert not ANSI.search(as_json.output)
    json.loads(as_json.output)  # nothing but the JSON document


def test_doctor_server_error_fails_the_api_check_and_skips_the_rest(sandbox):
    control(sandbox, "POST", "faults", {"method": "GET", "path": "/public/v1/is-connected",
                                        "action": "error", "count": 5})
    code, checks, report = doctor(sandbox.api_url)
    assert code == 1 and report["ok"] is False
    assert checks["reachable"]["status"] == "ok"
    assert checks["api"]["status"] == "fail" and "500" in checks["api"]["message"]
    assert [checks[n]["status"] for n in ("key", "channels", "rate-limit", "clock", "behaviour")] == ["skip"] * 5
    assert report["behaviour"] is None
    human = run(["doctor"], sandbox.api_url)
    assert human.exit_code == 1 and "FAIL  api" in human.output
    assert human.output.rstrip().endswith("some checks failed")
