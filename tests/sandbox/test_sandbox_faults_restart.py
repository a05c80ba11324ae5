"""Fault injection over a real socket, persistence across restarts and crashes,
compat mode v2.23.0, and the `cliper-sched sandbox` command."""

from __future__ import annotations

import subprocess
import time

import pytest
import requests

from planner.sandbox.server import SandboxServer
from support.cli import argv as cliper_sched
from support.sandbox import TEST_KEY, PublicApi, SandboxProcess, free_port, running_sandbox


def test_error_fault_answers_500_and_changes_nothing(api):
    api.controls.add_fault("POST", "/public/v1/posts", "error", nth=2)
    assert api.create(api.entry(content="one")).status_code == 201
    failed = api.create(api.entry(content="two"))
    assert (failed.status_code, failed.json()) == (500, {"statusCode": 500, "message": "Internal server error"})
    assert api.create(api.entry(content="three")).status_code == 201  # count=1: fired once
    assert sorted(r["content"] for r in api.controls.rows()) == ["one", "three"]


def test_drop_fault_carries_out_the_request_then_closes_without_answering(api):
    api.controls.add_fault("POST", "/public/v1/posts", "drop")
    started = time.monotonic()
    with pytest.raises(requests.ConnectionError):
        api.create(api.entry(content="landed"))
    assert time.monotonic() - started < 5  # a connection error, not a timeout
    assert [r["content"] for r in api.controls.rows()] == ["landed"]
    assert api.controls.ratelimit()["hits"] == 1


def test_delay_fault_then_carries_on_and_faults_can_be_cleared(api):
    api.controls.add_fault("GET", "/public/v1/posts", "delay", seconds=0.3, count=5)
    with pytest.raises(requests.Timeout):
        api.http.get(api.base + "/posts", params={"startDate": "2030-01-01", "endDate": "2030-01-02"},
                     timeout=0.1)
    started = time.monotonic()
    assert api.listing() == []
    assert time.monotonic() - started >= 0.3
    api.controls.clear_faults()
    started = time.monotonic()
    api.listing()
    assert time.monotonic() - started < 0.3


def test_state_key_channels_and_rate_limit_survive_a_restart(tmp_path):
    first = SandboxServer(tmp_path / "sb.db", limit=5).start()
    key = first.api_key
    assert len(key) == 64 and all(c in "0123456789abcdef" for c in key)
    api = PublicApi(first, api_key=key)
    channels = dict(api.channels)
    post_id = api.create(api.entry()).json()[0]["postId"]
    first.stop()
    second = SandboxServer(tmp_path / "sb.db", limit=5).start()
    try:
        assert second.api_key == key
        api = PublicApi(second, api_key=key)
        assert api.channels == channels
        assert post_id in api.by_id()
        assert api.create(api.entry()).headers["X-RateLimit-Remaining"] == "3"
    finally:
        second.stop()


@pytest.mark.slow
def test_sigkill_and_restart_keep_every_committed_post(tmp_path):
    proc = SandboxProcess(tmp_path / "sb.db", channels=["linkedin:li"]).start()
    try:
        api = PublicApi(proc)
        ids = [api.create(api.entry("li", content=f"post {n}")).json()[0]["postId"] for n in range(3)]
        proc.kill()
        with pytest.raises(requests.ConnectionError):
            requests.get(proc.base_url + "/_sandbox/clock", timeout=2)
        proc.start()
        assert set(ids) <= set(PublicApi(proc).by_id())
    finally:
        proc.kill()


def test_compat_v2_23_0(tmp_path):
    with running_sandbox(tmp_path, compat="v2.23.0") as sb:
        api = PublicApi(sb)
        api.controls.set_clock("2030-01-01T00:00:00Z")
        post_id = api.create(api.entry()).json()[0]["postId"]
        listed = api.by_id()[post_id]
        assert "settings" not in listed
        settings = api.put(f"/posts/{post_id}/settings", json={"settings": {"a": 1}})
        assert settings.status_code == 404
        assert settings.json()["message"] == f"Cannot PUT /public/v1/posts/{post_id}/settings"
        article = api.create(api.entry("x-main", settings={"post_type": "article", "article_title": "T",
                                                           "article_status": "draft"}))
        assert article.json()["message"][0].startswith("posts.0.settings.who_can_reply_post must be one of")
        # No republish guard: a published post is silently scheduled again.
        api.controls.set_clock("2030-01-01T10:00:00Z")
        api.controls.publish()
        first_release = api.by_id()[post_id]["releaseId"]
        edit = api.entry(content="again", group=listed["group"])
        edit["value"][0]["id"] = post_id
        assert api.create(edit, date="2030-01-01T10:00:00Z").status_code == 201
        again = api.by_id()[post_id]  # due at once, so published a second time
        assert again["state"] == "PUBLISHED" and again["releaseId"] != first_release


def test_main_accepts_x_articles_without_reply_setting(api):
    article = api.create(api.entry("x-main", content="<p>long</p>", settings={
        "post_type": "article", "article_title": "T", "article_status": "published"}))
    assert article.status_code == 201


@pytest.mark.slow
def test_cli_prints_url_and_generated_key_once_and_stops_cleanly(tmp_path):
    port = free_port()
    db = tmp_path / "cli.db"

    def run():
        proc = subprocess.Popen(
            [*cliper_sched(), "sandbox", "--port", str(port), "--db", str(db),
             "--channel", "youtube:yt", "--channel", "x:xx"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                requests.get(f"http://127.0.0.1:{port}/_sandbox/clock", timeout=1)
                break
            except requests.ConnectionError:
                time.sleep(0.05)
        assert requests.get(f"http://127.0.0.1:{port}/_sandbox/clock").ok
        proc.send_signal(2)  # Ctrl-C
        out, err = proc.communicate(timeout=10)
        return proc.returncode, out, err

    code, out, err = run()
    assert code == 0 and "Traceback" not in err
    # What a newcomer pastes into another terminal, then how to stop.
    assert f"export POSTIZ_API_URL=http://127.0.0.1:{port}/api" in out
    key = next(line.split("=", 1)[1] for line in out.splitlines()
               if line.strip().startswith("export POSTIZ_API_KEY="))
    assert len(key) == 64
    assert "Ctrl-C" in err
    assert out.count(" channel ") == 2
    code, out, err = run()
    assert code == 0
    assert f"export POSTIZ_API_KEY={key}" in out  # a restart keeps the key and shows it again
    assert out.count(" channel ") == 2


def test_cli_never_echoes_a_key_given_on_the_command_line(tmp_path):
    port = free_port()
    key = "given-on-the-command-line-" + "7" * 20
    proc = subprocess.Popen(
        [*cliper_sched(), "sandbox", "--port", str(port), "--db",
         str(tmp_path / "k.db"), "--api-key", key],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                ok = requests.get(f"http://127.0.0.1:{port}/api/public/v1/is-connected",
                                  headers={"Authorization": key}, timeout=1)
                break
            except requests.ConnectionError:
                time.sleep(0.05)
        assert ok.json() == {"connected": True}  # the given key is the one accepted
    finally:
        proc.send_signal(2)
        out, err = proc.communicate(timeout=10)
    assert key not in out + err
    assert "--api-key" in out and f"POSTIZ_API_URL=http://127.0.0.1:{port}/api" in out
    assert "GET /api/public/v1/is-connected 200" in err  # requests are logged, without headers


def test_request_log_never_contains_the_key(tmp_path):
    proc = SandboxProcess(tmp_path / "log.db", api_key=TEST_KEY)
    proc.start()
    try:
        PublicApi(proc).get("/integrations")
    finally:
        proc.kill()
    assert TEST_KEY not in proc.log.read_text()


def test_cli_rejects_bad_channel_specs_without_a_traceback(tmp_path):
    for spec, expected in (("youtube", "PROVIDER:NAME"), ("myspace:page", "unknown provider 'myspace'")):
        result = subprocess.run([*cliper_sched(), "sandbox", "--db", str(tmp_path / "x.db"), "--channel", spec],
                                capture_output=True, text=True, timeout=60)
        assert result.returncode == 1 and expected in result.stderr
        assert "Traceback" not in result.stderr


def test_cli_refuses_a_db_that_is_not_sqlite_without_a_traceback(tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("my notes, not a database\n")
    result = subprocess.run([*cliper_sched(), "sandbox", "--port", "0", "--db",
                             str(notes), "--quiet"], capture_output=True, text=True, timeout=30)
    assert result.returncode == 1
    assert f"{notes}: cannot use it as the sandbox database" in result.stderr
    assert "Traceback" not in result.stderr and "hint:" in result.stderr
    assert notes.read_text() == "my notes, not a database\n"  # left as it was
