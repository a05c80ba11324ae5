"""`SandboxServer`: the Postiz-compatible API on a real socket, in a background thread.

    with SandboxServer(tmp_path / "sandbox.db") as sandbox:
        client = PostizClient(sandbox.api_url, sandbox.api_key)

The API key and channels are stored in the database on first start and reused
afterwards, so a restart on the same file sees the same organisation.

`ssl_context` (an `ssl.SSLContext` with the server's certificate loaded) serves
https instead of http, as a Postiz behind a private CA does.

`frontend_url` plays Postiz's FRONTEND_URL: upload answers' `path` is
`<frontend_url>/uploads/YYYY/MM/DD/<name>` (default: this server's own address,
loopback like the compose default's localhost; the files are served here either way).
"""

from __future__ import annotations

import sys
import threading
from pathlib import Path

from werkzeug.serving import WSGIRequestHandler, make_server

from planner.sandbox import ids
from planner.sandbox.app import SandboxApp
from planner.sandbox.providers import MAX_LENGTH
from planner.sandbox.store import Store

DEFAULT_CHANNELS = [
    ("tiktok", "tiktok-main"),
    ("youtube", "youtube-shorts"),
    ("instagram", "instagram-reels"),
    ("x", "x-main"),
    ("linkedin", "linkedin-page"),
]
COMPAT_MODES = ("main", "v2.23.0")
PROVIDERS = sorted(MAX_LENGTH)


class _QuietHandler(WSGIRequestHandler):
    """Logs `METHOD /path STATUS` only (never headers, so never the key), and only when asked."""

    protocol_version = "HTTP/1.1"  # keep-alive, so clients can reuse connections
    sandbox_verbose = False  # True in _VerboseHandler

    def log_request(self, code="-", size="-"):
        if self.sandbox_verbose:
            path = self.path.split("?", 1)[0]
            code = getattr(code, "value", code)
            print(f"{self.command} {path} {code}", file=sys.stderr, flush=True)

    def date_time_string(self, timestamp=None):
        """The `Date` header, on every answer (API, controls, uploads, errors): the sandbox's
        clock, as a real Postiz puts its own clock there (docs/postiz-api.md §4.3).

        `send_response` writes the only `Date` of an answer from this (the app sets none);
        RFC 9110 IMF-fixdate, GMT, whole seconds."""
        if timestamp is None:
            clock = getattr(getattr(self.server, "app", None), "clock_seconds", None)
            if clock is not None:
                timestamp = clock()
        return super().date_time_string(timestamp)

    def log_error(self, *args):
        pass

    def log_message(self, format, *args):
        pass


class _VerboseHandler(_QuietHandler):
    """The handler of a sandbox started with `verbose=True`."""

    sandbox_verbose = True


class SandboxServer:
    def __init__(self, db_path, api_key: str | None = None, limit: int = 30, channels=None,
                 compat: str = "main", host: str = "127.0.0.1", port: int = 0, verbose: bool = False,
                 ssl_context=None, frontend_url: str | None = None):
        if compat not in COMPAT_MODES:
            raise ValueError(f"compat must be one of {', '.join(COMPAT_MODES)}, not {compat!r}")
        self.db_path = Path(db_path)
        self.store = Store(self.db_path)
        self.generated_key = False
        self.limit, self.compat, self.host = int(limit), compat, host
        self.scheme = "https" if ssl_context is not None else "http"
        self.api_key = self._resolve_key(api_key)
        self._seed_channels(channels)
        self.app = SandboxApp(self.store, self.api_key, self.limit, compat, lambda: self.base_url)
        self.app.frontend_url = frontend_url  # None: upload paths name this server (loopback)
        handler = _VerboseHandler if verbose else _QuietHandler
        self._server = make_server(host, port, self.app, threaded=True, request_handler=handler,
                                   ssl_context=ssl_context)
        self.port = self._server.server_port
        self._thread: threading.Thread | None = None

    def _resolve_key(self, api_key: str | None) -> str:
        stored = self.store.get_meta("api_key")
        if api_key:
            self.store.set_meta("api_key", api_key)
            return api_key
        if stored:
            return stored
        key = ids.api_key()
        self.store.set_meta("api_key", key)
        self.generated_key = True
        return key

    def _seed_channels(self, channels) -> None:
        """Channels given explicitly are added if missing; defaults only on an empty db."""
        existing = {(c["identifier"], c["name"]) for c in self.store.channels()}
        if channels is None:
            if existing or self.store.get_meta("seeded"):
                return
            channels = DEFAULT_CHANNELS
        for entry in channels:
            provider, name, *rest = entry
            if (provider, name) in existing:
                continue
            channel_id = rest[0] if rest else None
            self.store.add_channel(provider, name, channel_id,
                                   picture=f"https://example.com/{provider}.png")
        self.store.set_meta("seeded", "1")

    @property
    def find_slot_hang_seconds(self) -> float:
        return self.app.find_slot_hang_seconds

    @find_slot_hang_seconds.setter
    def find_slot_hang_seconds(self, value: float) -> None:
        self.app.find_slot_hang_seconds = value

    @property
    def base_url(self) -> str:
        return f"{self.scheme}://{self.host}:{self.port}"

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/api"

    def start(self) -> SandboxServer:
        # A short poll interval keeps stop() fast (tests start and stop many servers).
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,),
                                        name="postiz-sandbox", daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self._server.serve_forever()

    def stop(self) -> None:
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._server.server_close()
        self.store.close()

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
