"""JSON nested thousands of levels deep, which Python's parser cannot read (RecursionError):
in CLIPER's captions file, in the state file, in the rate-limit cache and in an answer
from the server. Each is a message and exit 1 (the cache is just ignored), never a traceback."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from support import cli
from support.workspaces import make_workspace

DEEP = "[" * 100_000 + "]" * 100_000


def test_deep_captions_file(tmp_path, env):
    ws = make_workspace(tmp_path, clips=2)
    ws.copys.write_text(json.dumps({"video_id": ws.video_id, "clips": []})[:-1] + f', "extra": {DEEP}}}',
                        encoding="utf-8")
    res = cli.run("plan", tmp_path, "--interval", "4h", "--channels", "a")
    assert res.code == 1 and res.out == "" and "Traceback" not in res.err, res.err[-3000:]
    assert f"{ws.copys}: nested too deeply to read: this is not the captions file CLIPER writes" in res.err


def test_deep_state_file(sandbox_main, plan):
    plan.state_path.write_text(f'{{"version": 1, "plan": "ep12", "posts": {DEEP}}}\n', encoding="utf-8")
    before = plan.state_path.read_bytes()
    for command in ("diff", "apply"):
        res = cli.run(command, plan, "--auto-approve") if command == "apply" else cli.run(command, plan)
        assert res.code == 1 and "Traceback" not in res.err, res.err[-3000:]
        assert f"{plan.state_path}: cannot read the state file: it is nested too deeply to be a state file" in res.err
    assert plan.state_path.read_bytes() == before
    assert sandbox_main.posts() == []


def test_deep_rate_limit_cache_is_ignored(sandbox_main, plan, tmp_path):
    from planner.reconcile import budgetcache

    cache = budgetcache.cache_file(sandbox_main.api_url)  # CLIPER_SCHED_CACHE_DIR: set by `env`
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_text(DEEP, encoding="utf-8")
    res = cli.run("diff", plan)
    assert res.code == 0 and "Traceback" not in res.err, res.err[-3000:]
    assert "Plan: 6 to add, 0 to change, 0 to destroy." in res.out, res.out


class _Postiz(BaseHTTPRequestHandler):
    """Answers GET /integrations and GET /posts like Postiz, with `server.answers`."""

    def do_GET(self) -> None:
        route = self.path.split("?")[0].removeprefix("/api/public/v1")
        body = self.server.answers.get(route)
        data = (body if isinstance(body, str) else json.dumps(body)).encode() if body is not None else b"{}"
        self.send_response(200 if body is not None else 404)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def fake_postiz():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Postiz)
    server.answers = {}
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


CHANNELS = [{"id": "c1", "name": "tiktok-main", "identifier": "tiktok"},
            {"id": "c2", "name": "x-main", "identifier": "x"}]


def _post(settings: str) -> dict:
    return {"id": "p1", "content": "hola", "publishDate": "2031-03-01T14:00:00.000Z", "state": "QUEUE",
            "group": "g1", "settings": settings,
            "integration": {"id": "c1", "providerIdentifier": "tiktok", "name": "tiktok-main"}}


@pytest.mark.parametrize("where, answers, expected", [
    ("channels list", {"/integrations": DEEP}, "/integrations answered 200 with malformed JSON"),
    ("posts list", {"/integrations": CHANNELS, "/posts": DEEP}, "/posts answered 200 with malformed JSON"),
    ("a post's settings", {"/integrations": CHANNELS, "/posts": {"posts": [_post(DEEP)]}},
     "GET /posts answered JSON of an unexpected shape (ValueError: settings is nested too deeply to read)"),
])
def test_deep_answer_from_the_server(fake_postiz, plan, env, where, answers, expected):
    fake_postiz.answers = answers
    url = f"http://127.0.0.1:{fake_postiz.server_address[1]}/api"
    command = ("channels",) if where == "channels list" else ("diff", plan)
    res = cli.run(*command, env={"POSTIZ_API_URL": url, "POSTIZ_API_KEY": "k"})
    assert res.code == 1 and "Traceback" not in res.err, res.err[-3000:]
    assert expected in res.err, res.err
