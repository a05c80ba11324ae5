"""How one request reaches Postiz and comes back (docs/postiz-api.md §3.5).

- `SafeRetry`: urllib3's Retry, limited to what is safe to repeat and to the time left;
- `Deadline`: one deadline for a whole request (connection, sending, retries and
  the complete answer), fired by one thread per process (`_Watchdog`) that shuts
  the request's sockets; `DeadlineAdapter` gives requests connections it can shut;
- `ReviewedFile`: an upload body that sends only the bytes that were reviewed;
- `RawKeyAuth`: the key as Postiz wants it, never in a repr.

planner/postiz/client.py builds the session from these and speaks the API.
"""

from __future__ import annotations

import hashlib
import heapq
import itertools
import logging
import os
import socket
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests
import requests.auth
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import (
    NameResolutionError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
)
from urllib3.util.retry import Retry

from planner.postiz.errors import MediaChanged

log = logging.getLogger(__name__)


class SafeRetry(Retry):
    """Retry only what is safe to repeat, and only while it may help.

    502/503/504 and lost connections are transient (a proxy, a restarting backend):
    retried up to `retries` times. A 500 from Postiz itself is usually deterministic
    (an unknown id, bad parameters), so a GET gets ONE more try and then the error;
    a 500 on DELETE /posts/:id means "unknown id" and comes back at once. POST and
    find-slot get exactly one attempt.
    """

    def is_retry(self, method: str, status_code: int, has_retry_after: bool = False) -> bool:
        if status_code == 500:
            if method.upper() != "GET" or any(h.status == 500 for h in self.history):
                return False
        return super().is_retry(method, status_code, has_retry_after)

    def increment(self, method=None, url=None, response=None, error=None, _pool=None,
                  _stacktrace=None):
        once = method is not None and (method.upper() not in (self.allowed_methods or ())
                                       or (url is not None and "/find-slot/" in url))
        deadline = active_deadline()
        if once or (deadline is not None and deadline.fired):
            return Retry(total=0, raise_on_status=False).increment(
                method, url, response, error, _pool, _stacktrace)
        new = super().increment(method, url, response, error, _pool, _stacktrace)
        if deadline is not None and deadline.left() <= new.get_backoff_time():
            # No time left for another try: the request's deadline covers its retries.
            return Retry(total=0, raise_on_status=False).increment(
                method, url, response, error, _pool, _stacktrace)
        # Only reached when a retry will really be made (exhaustion raises above).
        if log.isEnabledFor(logging.INFO):
            done = len(new.history)
            of = done + new.total if isinstance(new.total, int) else "?"
            why = str(response.status) if response is not None else short_reason(error)
            wait = new.get_backoff_time()
            log.info("%s %s %s, retry %d of %s %s", method, url_path(url), why, done, of,
                     f"in {wait:.1f} s" if wait else "now")
        return new


# CLIPER_SCHED_RETRY_BACKOFF multiplies the retry backoff (default 1: unchanged). The
# test suite sets it to a small factor so that tests against a dead or failing server
# do not spend seconds in real waits; tests of the backoff itself set it back to 1.
RETRY_BACKOFF_ENV = "CLIPER_SCHED_RETRY_BACKOFF"


def backoff_scale() -> float:
    try:
        return max(0.0, float(os.environ.get(RETRY_BACKOFF_ENV) or 1.0))
    except ValueError:
        return 1.0


class Deadline:
    """The time by which one whole request must be over: connection, sending, retries
    and the complete answer (not only each wait for data, which is what `timeout`
    bounds in requests).

    While it is active (`with deadline:`, in the thread making the request), every
    connection the request uses registers itself and its socket (`_watch`); the
    watchdog thread (`_Watchdog`) shuts those sockets down when the time is up,
    which ends any blocked send or read at once. The socket is kept as well as the
    connection: for an answer that closes the connection, http.client hands the
    socket over to the response and the connection forgets it. `fired` then tells
    the client why the request failed.
    """

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.fired = False
        self._at = time.monotonic() + seconds
        self._connections: list[HTTPConnection] = []
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._armed_for: float | None = None  # the time the watchdog fires at, while active

    def left(self) -> float:
        return self._at - time.monotonic()

    def answer_within(self, seconds: float) -> None:
        """The request body is sent: the answer must now come within `seconds`."""
        with self._lock:
            self.seconds = seconds
            self._at = min(self._at, time.monotonic() + seconds)
        self._arm()

    def _arm(self) -> None:
        with self._lock:
            self._armed_for = self._at
        _WATCHDOG.arm(self, self._at)

    def _fire(self, at: float) -> None:
        with self._lock:
            if self._armed_for != at:  # over, or re-armed for another time, since
                return
            self.fired = True
            socks = [c.sock for c in self._connections if c.sock is not None] + self._sockets
        for sock in socks:
            _shut(sock)

    def watch(self, conn: HTTPConnection) -> None:
        with self._lock:
            if conn not in self._connections:
                self._connections.append(conn)
            sock = conn.sock
            if sock is not None and not any(s is sock for s in self._sockets):
                self._sockets.append(sock)
            fired = self.fired
        if fired and sock is not None:
            _shut(sock)

    def __enter__(self) -> Deadline:
        _local.deadline = self
        self._arm()
        return self

    def __exit__(self, *exc: object) -> None:
        _local.deadline = None
        with self._lock:
            self._armed_for = None
            self._connections.clear()
            self._sockets.clear()


class _Watchdog:
    """The one thread that fires the deadlines of this process's requests.

    A `threading.Timer` per request cost a thread start and stop each time (~0.2 ms,
    a tenth of the client's own CPU per request in a long apply); this thread sleeps
    until the earliest armed deadline instead. A deadline that ended or was re-armed
    is left in the heap and skipped when its time comes (`Deadline._fire`)."""

    def __init__(self) -> None:
        self._reset()
        # A forked child has no thread and must not fire the parent's deadlines (their
        # sockets are shared), nor find the condition held by a thread it does not have.
        os.register_at_fork(after_in_child=self._reset)

    def _reset(self) -> None:
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int, Deadline]] = []
        self._order = itertools.count()  # ties never compare two Deadlines
        self._started = False

    def arm(self, deadline: Deadline, at: float) -> None:
        with self._cond:
            heapq.heappush(self._heap, (at, next(self._order), deadline))
            if not self._started:
                threading.Thread(target=self._run, name="cliper-sched-deadlines", daemon=True).start()
                self._started = True  # only once it runs: a failed start is tried again
            elif self._heap[0][2] is deadline:
                self._cond.notify()  # earlier than what the thread sleeps until

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._heap or self._heap[0][0] > time.monotonic():
                    self._cond.wait(self._heap[0][0] - time.monotonic() if self._heap else None)
                at, _, deadline = heapq.heappop(self._heap)
            try:
                deadline._fire(at)
            except Exception:  # this thread serves every later request: it must live on
                log.debug("firing a request deadline failed", exc_info=True)


_WATCHDOG = _Watchdog()
_local = threading.local()


def active_deadline() -> Deadline | None:
    return getattr(_local, "deadline", None)


def _watch(conn: HTTPConnection) -> None:
    deadline = active_deadline()
    if deadline is not None:
        deadline.watch(conn)


def _shut(sock: socket.socket) -> None:
    """End whatever the socket is blocked in (the reading thread sees EOF, a writer EPIPE).

    A socket already closed has given its descriptor back (fileno -1): shutting
    it fails harmlessly instead of touching a descriptor reused since.
    """
    # urllib3 wraps TLS inside TLS (an https:// proxy) in an SSLTransport: shut its socket.
    raw = getattr(sock, "socket", sock)
    try:
        socket.socket.shutdown(raw, socket.SHUT_RDWR)  # the plain socket's, also under TLS
    except (OSError, TypeError):
        pass


class _WatchedHTTPConnection(HTTPConnection):
    def connect(self) -> None:
        super().connect()
        _watch(self)  # shut at once if the deadline passed while connecting

    def request(self, *args: Any, **kwargs: Any) -> None:
        _watch(self)
        super().request(*args, **kwargs)


class _WatchedHTTPSConnection(HTTPSConnection):
    def connect(self) -> None:
        super().connect()
        _watch(self)

    def request(self, *args: Any, **kwargs: Any) -> None:
        _watch(self)
        super().request(*args, **kwargs)


class _WatchedPool(HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _WatchedTLSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


_POOLS = {"http": _WatchedPool, "https": _WatchedTLSPool}


class DeadlineAdapter(HTTPAdapter):
    """requests' adapter, with connections a `Deadline` can end."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = _POOLS

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        if not proxy.lower().startswith("socks"):
            manager.pool_classes_by_scheme = _POOLS
        return manager


class ReviewedFile:
    """The file being uploaded, as MultipartEncoder reads it: every byte read is hashed,
    and at most the `size` bytes the file had when it was opened are sent.

    Before handing over the last bytes it compares the digest with the reviewed one
    and raises `MediaChanged` instead: the request is then cut short (no closing
    boundary), so the server never gets a complete upload of bytes nobody reviewed.
    """

    def __init__(self, fh: Any, size: int, path: Path, expected: str | None, on_sent: Any):
        self._fh = fh
        self._left = size
        self._path = path
        self._expected = expected.lower() if expected else None
        self._on_sent = on_sent
        self._hash = hashlib.sha256()
        self.digest: str | None = self._hash.hexdigest() if size == 0 else None

    @property
    def len(self) -> int:  # what requests_toolbelt asks for
        return self._left

    def read(self, size: int = -1) -> bytes:
        if self._left <= 0:
            return b""
        wanted = self._left if size is None or size < 0 else min(size, self._left)
        chunk = self._fh.read(wanted)
        if not chunk:
            raise MediaChanged(str(self._path), self._expected or "?", None,
                               detail="it got shorter while being uploaded")
        self._hash.update(chunk)
        self._left -= len(chunk)
        if self._left == 0:
            self.digest = self._hash.hexdigest()
            if self._expected and self.digest != self._expected:
                raise MediaChanged(str(self._path), self._expected, self.digest)
            self._on_sent()
        return chunk


class RawKeyAuth(requests.auth.AuthBase):
    """`Authorization: <key>`, raw: Postiz refuses `Bearer <key>` (docs/postiz-api.md §2.1)."""

    def __init__(self, key: str):
        self._key = key

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = self._key
        return request

    def __repr__(self) -> str:
        return "RawKeyAuth(<redacted>)"


def url_path(url: str | None) -> str:
    """The path of a URL, for logs: no scheme, host, or query string."""
    return urlsplit(url or "").path or "/"


def short_reason(error: Exception | None) -> str:
    """Why urllib3 is about to retry, in a few words (its own texts repeat the URL)."""
    if isinstance(error, NameResolutionError):
        return "host name not found"
    if isinstance(error, NewConnectionError):
        return "connection refused"
    if isinstance(error, ReadTimeoutError) or "timed out" in str(error).lower():
        return "no answer in time"
    if isinstance(error, ProtocolError):
        return "connection dropped"
    return type(error).__name__ if error is not None else "error"
