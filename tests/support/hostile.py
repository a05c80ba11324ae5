"""A misbehaving server on 127.0.0.1: a reverse proxy in front of the sandbox that
answers chosen requests the way a broken or hostile Postiz (or proxy) might.

    with HostileProxy(sandbox_base_url) as proxy:
        proxy.on("GET", "/api/public/v1/integrations", drip(every=1.0))
        env["POSTIZ_API_URL"] = proxy.api_url

Every other request is relayed to the sandbox unchanged. `proxy.seen` lists
`(method, path)` of every request that reached the proxy, so a test can prove a
request was never sent. Everything is bounded: a drip ends after `limit`
seconds, a flood after `size` bytes, and closing the proxy stops them all.
It only ever binds 127.0.0.1.
"""

from __future__ import annotations

import fnmatch
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import requests

Action = Callable[["_Handler", bytes], None]


class HostileProxy:
    def __init__(self, upstream: str):
        """`upstream`: the sandbox root (`http://127.0.0.1:PORT`, without `/api`)."""
        self.upstream = upstream.rstrip("/")
        self.rules: list[tuple[str, str, Action, int]] = []
        self.seen: list[tuple[str, str]] = []
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.server.daemon_threads = True
        self.server.proxy = self  # type: ignore[attr-defined]
        self._thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    @property
    def api_url(self) -> str:
        return self.url + "/api"

    def on(self, method: str, path: str, action: Action, *, times: int = 10_000) -> None:
        """Answer `method path` (fnmatch on the path without the query) with `action`, `times` times."""
        with self._lock:
            self.rules.append((method, path, action, times))

    def clear(self) -> None:
        """Forget every rule: relay everything again."""
        with self._lock:
            self.rules.clear()

    def count(self, method: str, path: str) -> int:
        return sum(1 for m, p in self.seen if m == method and fnmatch.fnmatch(p, path))

    def _rule(self, method: str, path: str) -> Action | None:
        with self._lock:
            self.seen.append((method, path))
            for i, (m, p, action, times) in enumerate(self.rules):
                if m in (method, "*") and fnmatch.fnmatch(path, p) and times > 0:
                    self.rules[i] = (m, p, action, times - 1)
                    return action
        return None

    def close(self) -> None:
        self.stopping.set()
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(timeout=10)

    def __enter__(self) -> HostileProxy:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    @property
    def proxy(self) -> HostileProxy:
        return self.server.proxy  # type: ignore[attr-defined]

    def _handle(self) -> None:
        action = self.proxy._rule(self.command, self.path.split("?")[0])  # seen, even if cut short
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if len(body) < length:
            # The client gave up half-way through its request: like nginx, never pass
            # an incomplete request on.
            self.close_connection = True
            return
        try:
            (action or relay)(self, body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up: what these tests are about
        self.close_connection = True

    do_GET = do_POST = do_PUT = do_DELETE = _handle

    def log_message(self, *args) -> None:
        pass

    # -- building blocks for actions ---------------------------------------------------

    def upstream(self, body: bytes) -> requests.Response:
        skip = {"host", "content-length", "connection", "accept-encoding"}
        return requests.request(self.command, self.proxy.upstream + self.path, data=body or None, timeout=30,
                                headers={k: v for k, v in self.headers.items() if k.lower() not in skip},
                                allow_redirects=False)

    def send_raw(self, status: int, headers: dict[str, str], data: bytes) -> None:
        self.send_response_only(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(data)
        self.wfile.flush()

    def sleep(self, seconds: float) -> bool:
        """False when the proxy is closing."""
        return not self.proxy.stopping.wait(seconds)


def relay(handler: _Handler, body: bytes) -> None:
    up = handler.upstream(body)
    headers = {k: v for k, v in up.headers.items()
               if k.lower() not in ("content-length", "connection", "transfer-encoding", "content-encoding")}
    headers["Content-Length"] = str(len(up.content))
    handler.send_raw(up.status_code, headers, up.content)


def _raw_answer(up: requests.Response) -> bytes:
    head = [f"HTTP/1.1 {up.status_code} {up.reason}"]
    head += [f"{k}: {v}" for k, v in up.headers.items()
             if k.lower() not in ("content-length", "connection", "transfer-encoding", "content-encoding")]
    head += [f"Content-Length: {len(up.content)}", "Connection: close"]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + up.content


def drip(*, every: float = 1.0, limit: float = 30.0, where: str = "body", forward: bool = False) -> Action:
    """One byte every `every` seconds, for at most `limit` seconds, then the connection closes.

    where="body": the status line and headers come at once, the body drips.
    where="headers": everything drips, from the first byte of the status line.
    forward=True: the request is carried out by the sandbox first, then its real answer drips.
    """

    def action(handler: _Handler, body: bytes) -> None:
        if forward:
            data = _raw_answer(handler.upstream(body))
        else:
            payload = b'{"connected": true, "padding": "' + b"x" * 200 + b'"}'
            data = (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n"
                    b"Content-Length: " + str(len(payload)).encode() + b"\r\n\r\n" + payload)
        started = time.monotonic()
        start = 0
        if where == "body":
            start = data.index(b"\r\n\r\n") + 4
            handler.wfile.write(data[:start])
            handler.wfile.flush()
        for i in range(start, len(data)):
            if time.monotonic() - started > limit or not handler.sleep(every):
                return
            handler.wfile.write(data[i:i + 1])
            handler.wfile.flush()

    return action


def flood(*, size: int, declare: bool = False, status: int = 200) -> Action:
    """A JSON-looking answer of `size` bytes, streamed; `declare` sends its Content-Length
    (else the end of the answer is the end of the connection)."""

    def action(handler: _Handler, body: bytes) -> None:
        handler.send_response_only(status)
        handler.send_header("Content-Type", "application/json")
        if declare:
            handler.send_header("Content-Length", str(size))
        handler.send_header("Connection", "close")
        handler.end_headers()
        chunk = b"[" + b'"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",' * 2000
        sent = 0
        while sent < size and not handler.proxy.stopping.is_set():
            piece = chunk[: size - sent]
            handler.wfile.write(piece)
            sent += len(piece)
        handler.wfile.flush()

    return action


NGINX_429 = (b"<html>\r\n<head><title>429 Too Many Requests</title></head>\r\n<body>\r\n"
             b"<center><h1>429 Too Many Requests</h1></center>\r\n<hr><center>nginx</center>\r\n"
             b"</body>\r\n</html>\r\n")


def too_many(*, body: bytes = NGINX_429, retry_after: str | None = None,
             content_type: str | None = "text/html") -> Action:
    """A 429 that is not Postiz's JSON: an nginx page, or an empty body, with or without Retry-After."""

    def action(handler: _Handler, _body: bytes) -> None:
        headers = {"Content-Length": str(len(body))}
        if content_type:
            headers["Content-Type"] = content_type
        if retry_after is not None:
            headers["Retry-After"] = retry_after
        handler.send_raw(429, headers, body)

    return action


def answer(status: int, payload: bytes, content_type: str = "application/json") -> Action:
    """A fixed answer; `payload` may be a callable of the request's Authorization header."""

    def action(handler: _Handler, _body: bytes) -> None:
        data = payload(handler.headers.get("Authorization", "")) if callable(payload) else payload
        handler.send_raw(status, {"Content-Type": content_type, "Content-Length": str(len(data))}, data)

    return action
