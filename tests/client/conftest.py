"""Fixtures for the client tests: a real sandbox server on 127.0.0.1, a tiny HTML
server standing in for the Postiz web frontend, and a port nobody listens on."""

from __future__ import annotations

import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from support.client_helpers import CHANNELS, KEY


def _sandbox_class():
    return pytest.importorskip("planner.sandbox.server",
                               reason="the sandbox server is not there yet").SandboxServer


@pytest.fixture
def sandbox(tmp_path):
    with _sandbox_class()(tmp_path / "sandbox.db", api_key=KEY, channels=CHANNELS) as server:
        yield server


@pytest.fixture
def make_sandbox(tmp_path):
    """A sandbox with custom options (limit, channels, compat)."""
    servers = []

    def make(**options):
        options.setdefault("api_key", KEY)
        server = _sandbox_class()(tmp_path / f"sandbox{len(servers)}.db", **options).start()
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.stop()


@pytest.fixture
def client(sandbox):
    from planner.postiz.client import PostizClient

    with PostizClient(sandbox.api_url, KEY, backoff=0.05) as c:
        yield c


class _FrontendHandler(BaseHTTPRequestHandler):
    """What the Postiz web frontend answers on any path: an HTML page."""

    def _page(self) -> None:
        body = b"<!DOCTYPE html><html><body>Postiz</body></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_DELETE = _page

    def log_message(self, *args) -> None:
        pass


class _HttpsRedirectHandler(BaseHTTPRequestHandler):
    """A reverse proxy that sends plain-http clients to https."""

    def _redirect(self) -> None:
        self.send_response(301)
        self.send_header("Location", f"https://127.0.0.1:{self.server.server_address[1]}{self.path}")
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_GET = do_POST = do_PUT = do_DELETE = _redirect

    def log_message(self, *args) -> None:
        pass


def _serve(handler):
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                     daemon=True).start()
    return server


@pytest.fixture
def html_server():
    server = _serve(_FrontendHandler)
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def redirect_server():
    server = _serve(_HttpsRedirectHandler)
    yield f"http://127.0.0.1:{server.server_address[1]}/api"
    server.shutdown()
    server.server_close()


@pytest.fixture
def dead_url():
    """A loopback URL where nothing listens (connection refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/api"


class _UnlikeTheSandboxProxy(BaseHTTPRequestHandler):
    """A reverse proxy in front of the sandbox that answers the way a real Postiz may,
    within the contract, where the sandbox happens not to: no `Date` header, extra
    headers, JSON keys in reverse order plus keys we have never seen, `GET /posts`
    in reverse order, and 200 instead of 201 on POST. A client coded to the contract
    (not to the sandbox's quirks) must not notice."""

    protocol_version = "HTTP/1.1"  # keep-alive, as Postiz (Express) and nginx do

    def setup(self) -> None:
        super().setup()
        self.server.connections += 1  # one handler per TCP connection

    def _relay(self) -> None:
        import json

        import requests

        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        skip = {"host", "content-length", "connection", "accept-encoding"}
        upstream = requests.request(
            self.command, self.server.upstream + self.path, data=body, timeout=30,
            headers={k: v for k, v in self.headers.items() if k.lower() not in skip},
            allow_redirects=False)
        data = upstream.content
        if upstream.headers.get("Content-Type", "").startswith("application/json") and data:
            decoded = _unlike(json.loads(data))
            if self.path.split("?")[0].endswith("/public/v1/posts") and isinstance(decoded, dict):
                decoded["posts"] = list(reversed(decoded.get("posts", [])))
            data = json.dumps(decoded).encode()
        status = 200 if upstream.status_code == 201 else upstream.status_code
        self.send_response_only(status)  # no Date, no Server header
        for key, value in upstream.headers.items():
            if key.lower() not in ("date", "server", "content-length", "connection"):
                self.send_header(key, value)
        self.send_header("X-Powered-By", "Express")
        self.send_header("Vary", "Origin, Accept-Encoding")
        self.send_header("Access-Control-Allow-Credentials", "true")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_DELETE = _relay

    def log_message(self, *args) -> None:
        pass


def _unlike(value):
    """Reverse key order and add an unknown key to every object, recursively."""
    if isinstance(value, list):
        return [_unlike(v) for v in value]
    if isinstance(value, dict):
        out = {k: _unlike(v) for k, v in reversed(list(value.items()))}
        out["addedInAFutureVersion"] = {"nested": [1, "two"]}
        return out
    return value


@pytest.fixture
def unlike_proxy_server(sandbox):
    """The proxy server itself (`.connections` counts the TCP connections it accepted)."""
    server = _serve(_UnlikeTheSandboxProxy)
    server.upstream = sandbox.api_url.rsplit("/api", 1)[0]
    server.connections = 0
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def unlike_proxy(unlike_proxy_server):
    """`POSTIZ_API_URL` of a proxy that makes the sandbox answer like a different Postiz."""
    return f"http://127.0.0.1:{unlike_proxy_server.server_address[1]}/api"
