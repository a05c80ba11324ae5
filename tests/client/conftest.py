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
