"""The one Postiz public API client (docs/postiz-api.md §5-§11, §15).

One `requests.Session` (connection reuse, TLS verified, a timeout on every
request). Safe requests (GET, PUT, DELETE) are retried with a short, bounded
exponential backoff by urllib3's `Retry` on the session adapter (`SafeRetry`, in
planner/postiz/transport.py with the rest of how a request travels);
`POST /posts` never is: it has no idempotency key, so a lost answer raises
`UncertainResponse` and the reconciler reads the posts back before deciding.
Counted requests go through the rate-limit budget first. The API key lives only
in the session headers and is redacted from every error and every log line.

A misbehaving server or proxy cannot hurt the run (docs/postiz-api.md §3.5):
- one deadline per request: the timeout (`--timeout`, POSTIZ_TIMEOUT) bounds the
  whole request, connection, sending and the complete answer, retries included,
  not only each wait for data; a counted POST that runs out of time is an
  `UncertainResponse` (read back, never re-sent);
- answers are read as a stream and refused above MAX_ANSWER_BYTES (32 MiB);
- a 429 is a block whatever its body (§15.3);
- an upload hashes the bytes as they are sent and stops before the last one if
  they are not the reviewed file (`MediaChanged`).

Each request is logged (`-v`): `POST /api/public/v1/posts 201 143 ms (counted;
29/30 left)`, one line per request plus one per retry; `-vv` adds the size and
rate-limit headers of each answer and the budget's decisions (planner.logs).
"""

from __future__ import annotations

import email.utils
import hashlib
import hmac
import logging
import os
import time
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import requests
from urllib3.exceptions import (
    MaxRetryError,
    NameResolutionError,
    NewConnectionError,
)

from planner import __version__, logs
from planner.postiz import config as config_mod
from planner.postiz.budget import DEFAULT_LIMIT, RateBudget
from planner.postiz.errors import (
    AuthError,
    BudgetExhausted,
    MediaChanged,
    NetworkError,
    NotFound,
    NotPostizError,
    PostizError,
    RateLimited,
    RouteNotFound,
    ServerError,
    UncertainResponse,
    ValidationError,
    redact,
)
from planner.postiz.models import (
    Channel,
    LivePost,
    Media,
    PostEntry,
    format_utc,
    parse_utc,
)
from planner.postiz.transport import (
    Deadline,
    DeadlineAdapter,
    RawKeyAuth,
    ReviewedFile,
    SafeRetry,
    backoff_scale,
    url_path,
)

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = (5.0, 60.0)  # (connect, read) seconds; the read one also bounds each whole request
MAX_ANSWER_BYTES = 32 * 1024 * 1024  # the biggest answer read (docs/postiz-api.md §3.5)
UPLOAD_MIN_RATE = 64 * 1024  # bytes/s an upload may take on top of the deadline (§3.5)
MAX_MESSAGE_CHARS = 2000  # of one server message kept in an error
MAX_MESSAGES = 100  # validation messages kept from one answer
BLOCK_SECONDS = 3600  # a 429 without a readable Retry-After: Postiz blocks for an hour (§15.2)
FIND_SLOT_TIMEOUT = (5.0, 10.0)  # find-slot can hang forever on a disabled channel (docs/postiz-api.md §5.4)
POST_TYPES = ("schedule", "now", "draft", "update")
AUTH_HINT = ("use the key from Postiz Settings > Public API, raw (no 'Bearer ' prefix); "
             "check POSTIZ_API_URL points at the backend (Docker: http://localhost:5000/api, "
             "with /api)")


class PostizClient:
    def __init__(self, api_url: str, api_key: str, *, timeout: float | tuple[float, float] = DEFAULT_TIMEOUT,
                 retries: int = 3, backoff: float = 0.5, assumed_limit: int = DEFAULT_LIMIT,
                 ca_bundle: str | None = None, budget: RateBudget | None = None,
                 max_answer_bytes: int = MAX_ANSWER_BYTES, deadline: float | None = None):
        if not api_key:
            raise ValueError("api_key is empty")
        logs.add_secret(api_key)  # before anything could log it
        self.api_url = config_mod.normalize_url(api_url, "api_url")
        self.base = self.api_url + config_mod.API_PREFIX
        self._key = api_key
        self.timeout = timeout
        # Each whole request, retries included, ends within this many seconds (default:
        # the read timeout, i.e. --timeout). Only a read timeout shorter than it leaves
        # room to retry a GET after a timeout.
        self.deadline = float(deadline) if deadline is not None else _total_seconds(timeout)
        self.max_answer_bytes = max_answer_bytes
        self.budget = budget or RateBudget(assumed_limit)
        self.last_date: datetime | None = None  # the server's last `Date` header
        self.last_date_local: datetime | None = None  # this machine's clock when it came
        self.session = requests.Session()
        self.session.headers.update({"Accept": "application/json",
                                     "User-Agent": f"cliper-sched/{__version__}"})
        # As session auth, so a ~/.netrc entry for the host can never replace the key.
        self.session.auth = RawKeyAuth(api_key)
        # The environment's proxies (HTTPS_PROXY, NO_PROXY, ...) and CA bundle
        # (REQUESTS_CA_BUNDLE, CURL_CA_BUNDLE), read by requests itself, once, for the one
        # host this client talks to: with trust_env on, requests read the whole environment
        # again for every request (~0.2 ms each). --ca-bundle wins over the environment.
        env = self.session.merge_environment_settings(self.base, {}, None, ca_bundle or True, None)
        self.session.trust_env = False
        self.session.proxies = env["proxies"]
        self.verify: bool | str = env["verify"]  # passed with every request
        retry = SafeRetry(
            total=retries, connect=retries, read=retries, status=retries, other=0,
            backoff_factor=backoff * backoff_scale(),
            backoff_max=4,  # worst case a few seconds, never minutes
            status_forcelist=(500, 502, 503, 504),
            allowed_methods=frozenset({"GET", "PUT", "DELETE"}),
            respect_retry_after_header=False,  # a 429 is never retried
            raise_on_status=False,
        )
        adapter = DeadlineAdapter(max_retries=retry, pool_connections=2, pool_maxsize=4)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        connect, read = timeout if isinstance(timeout, tuple) else (timeout, timeout)
        log.debug("Postiz public API at %s (timeouts: connect %g s, read %g s, whole request "
                  "%g s; answers up to %s; %d retries for GET/PUT/DELETE; CA bundle: %s)",
                  self.base, connect, read, self.deadline, _size(max_answer_bytes), retries,
                  self.verify if isinstance(self.verify, str) else "default")

    @classmethod
    def from_config(cls, cfg: config_mod.PostizConfig, **kwargs: Any) -> PostizClient:
        if cfg.max_answer_bytes:
            kwargs.setdefault("max_answer_bytes", cfg.max_answer_bytes)
        return cls(cfg.api_url, cfg.api_key, ca_bundle=cfg.ca_bundle, **kwargs)

    def __repr__(self) -> str:
        return f"PostizClient({self.api_url!r})"

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> PostizClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- channels ------------------------------------------------------------------

    def is_connected(self) -> bool:
        body = self._request("GET", "/is-connected")
        if not isinstance(body, dict) or "connected" not in body:
            raise NotPostizError(f"{self.base}/is-connected answered JSON without 'connected'",
                                 hint=base_url_hint(self.api_url))
        return bool(body["connected"])

    def list_channels(self) -> list[Channel]:
        body = self._request("GET", "/integrations")
        return self._parse("GET /integrations", lambda: [Channel.from_api(i) for i in body])

    def channel_settings(self, channel_id: str) -> dict:
        """`{rules, maxLength, settings (JSON schema or a string), tools}` of one channel."""
        body = self._request("GET", f"/integration-settings/{_seg(channel_id)}",
                             what=f"channel {channel_id}")
        return self._parse("GET /integration-settings", lambda: dict(body["output"]))

    def find_slot(self, channel_id: str, *, timeout: tuple[float, float] = FIND_SLOT_TIMEOUT) -> datetime:
        """Next free posting slot; bounded by a short timeout because the server can hang."""
        body = self._request("GET", f"/find-slot/{_seg(channel_id)}", timeout=timeout,
                             what=f"channel {channel_id}")
        return self._parse("GET /find-slot", lambda: parse_utc(body["date"]))

    # -- media ---------------------------------------------------------------------

    def upload(self, path: str | os.PathLike, sha256: str | None = None) -> Media:
        """Multipart upload (field `file`), streamed from disk: a 1 GB clip is not loaded in memory.

        With `sha256` (the reviewed digest), the bytes are hashed as they are sent and
        `MediaChanged` is raised before the last of them if they differ: what was
        reviewed is exactly what Postiz gets, or it gets nothing complete.
        The deadline is the timeout plus the file's size at UPLOAD_MIN_RATE, then
        the timeout again for the answer once the last byte is sent.
        """
        p = Path(path)
        try:
            fh = p.open("rb")
        except OSError as exc:
            raise PostizError(f"{p}: cannot read the file to upload ({exc.strerror})") from None
        with fh:
            size = os.fstat(fh.fileno()).st_size
            total = self.deadline
            deadline = Deadline(total + size / UPLOAD_MIN_RATE)
            reviewed = ReviewedFile(fh, size, p, sha256, lambda: deadline.answer_within(total))
            from requests_toolbelt.multipart.encoder import MultipartEncoder  # uploads only

            encoder = MultipartEncoder({"file": (p.name, reviewed, "application/octet-stream")})
            body = self._request("POST", "/upload", data=encoder, deadline=deadline,
                                 headers={"Content-Type": encoder.content_type}, what=str(p))
        if sha256 and reviewed.digest != sha256.lower():  # e.g. an empty file: nothing was read
            raise MediaChanged(str(p), sha256, reviewed.digest)
        return self._parse("POST /upload", lambda: Media.from_api(body))

    # -- posts ---------------------------------------------------------------------

    def list_posts(self, start: datetime, end: datetime, customer: str | None = None) -> list[LivePost]:
        """Root posts in [start, end], all states, de-duplicated by id, sorted by date."""
        params = {"startDate": format_utc(start), "endDate": format_utc(end)}
        if customer:
            params["customer"] = customer
        body = self._request("GET", "/posts", params=params)

        def parse() -> list[LivePost]:
            seen: dict[str, LivePost] = {}
            for item in body["posts"]:
                post = LivePost.from_api(item)
                seen.setdefault(post.id, post)  # repeating posts come once per occurrence
            return sorted(seen.values(), key=lambda p: (p.publish_date, p.id))

        return self._parse("GET /posts", parse)

    def create_posts(self, date: datetime, entries: Sequence[PostEntry], type: str = "schedule",
                     tags: Iterable[str] = ()) -> list[tuple[str, str]]:
        """Create one post per entry in ONE counted request; (post_id, integration_id) in order."""
        return self._send_posts(date, entries, type, tags, edit=False)

    def edit_posts(self, date: datetime, entries: Sequence[PostEntry], type: str = "schedule",
                   tags: Iterable[str] = ()) -> list[tuple[str, str]]:
        """Edit posts in place (docs/postiz-api.md §9.1): each entry carries `post_id` and its current `group`."""
        return self._send_posts(date, entries, type, tags, edit=True)

    def update_settings(self, post_id: str, settings: dict) -> dict:
        """Merge settings into a scheduled post; not counted, group kept (current main only)."""
        body = self._request("PUT", f"/posts/{_seg(post_id)}/settings", json={"settings": settings},
                             what=f"post {post_id}")
        return body if isinstance(body, dict) else {}

    def set_status(self, post_id: str, status: str) -> str:
        """`draft` or `schedule`; returns the new state (DRAFT / QUEUE). Not counted, on
        v2.23.0 and main; group, content and settings kept (docs/postiz-api.md §10.3)."""
        if status not in ("draft", "schedule"):
            raise ValueError("status must be 'draft' or 'schedule'")
        try:
            body = self._request("PUT", f"/posts/{_seg(post_id)}/status", json={"status": status},
                                 what=f"post {post_id}")
        except ValidationError as exc:
            if exc.messages == ["Post not found"]:  # this route says so with a 400, not a 404
                raise NotFound(f"post {post_id}: not found in Postiz (Post not found)", status=400) from None
            raise
        return self._parse("PUT /posts/:id/status", lambda: str(body["state"]))

    def delete_group(self, group: str) -> None:
        """Soft-delete every row of a group; idempotent (200 even if nothing matched)."""
        self._request("DELETE", f"/posts/group/{_seg(group)}")

    def delete_post(self, post_id: str) -> bool:
        """Delete a post's group by post id; False when Postiz does not know the id (its 500)."""
        try:
            self._request("DELETE", f"/posts/{_seg(post_id)}", what=f"post {post_id}")
        except ServerError as exc:
            if exc.status == 500:
                return False
            raise
        return True

    def signing_key(self, purpose: bytes) -> bytes:
        """A key derived from the API key for `purpose` (HMAC-SHA256): signatures made with
        it prove a file was written by someone holding the key, which never leaves here."""
        return hmac.new(self._key.encode("utf-8"), purpose, hashlib.sha256).digest()

    def clock_skew(self) -> timedelta | None:
        """Server clock minus this machine's, from the last `Date` header (1 s resolution)."""
        if self.last_date is None or self.last_date_local is None:
            return None
        return self.last_date - self.last_date_local

    def server_date(self) -> datetime | None:
        """The `Date` header of the last answer (None before the first request)."""
        return self.last_date

    # -- plumbing ------------------------------------------------------------------

    def _send_posts(self, date: datetime, entries: Sequence[PostEntry], type: str,
                    tags: Iterable[str], *, edit: bool) -> list[tuple[str, str]]:
        if type not in POST_TYPES:
            raise ValueError(f"type must be one of {', '.join(POST_TYPES)}")
        if not entries:
            raise ValueError("at least one entry is needed")
        payload = {
            "type": type,
            "date": format_utc(date),
            "shortLink": False,  # True would rewrite URLs and break content diffs
            "tags": [{"value": t, "label": t} for t in tags],
            "posts": [e.to_api(edit=edit) for e in entries],
        }
        body = self._request("POST", "/posts", json=payload, counted=True)
        try:
            result = [(str(item["postId"]), str(item["integration"])) for item in body]
        except (KeyError, TypeError):
            result = []
        if len(result) != len(entries):
            # The request was carried out but we cannot tell which post is which.
            raise UncertainResponse("Postiz accepted the posts but its answer was not the "
                                    "expected [{postId, integration}] list",
                                    hint="read the posts back before sending again", status=201)
        return result

    def _request(self, method: str, path: str, *, params: dict | None = None, json: Any = None,
                 data: Any = None, headers: dict | None = None, counted: bool = False,
                 timeout: float | tuple[float, float] | None = None, what: str | None = None,
                 deadline: Deadline | None = None) -> Any:
        url = self.base + path
        if counted:
            self._check_budget(method, url)
        deadline = deadline or Deadline(_total_seconds(timeout) if timeout else self.deadline)
        timeout = timeout or self.timeout
        started = time.monotonic()
        with deadline:
            try:
                resp = self.session.request(method, url, params=params, json=json, data=data,
                                            headers=headers, timeout=timeout, stream=True,
                                            allow_redirects=False, verify=self.verify)
            except requests.RequestException as exc:
                error = self._network_error(method, path, exc, counted, timeout, deadline)
                log.info("%s %s failed after %d ms: %s%s", method, url_path(url), _ms(started),
                         _describe(exc, timeout, deadline), self._counted_note(counted))
                raise error.scrub(self._key) from None
            except PostizError as exc:  # MediaChanged, from inside the upload's body
                log.info("%s %s stopped after %d ms: %s", method, url_path(url), _ms(started),
                         exc.message)
                raise exc.scrub(self._key) from None
            try:
                self._note_date(resp)
                if counted:
                    self.budget.observe(resp.status_code, resp.headers)
                self._read_body(method, path, resp, counted, deadline, started)
                self._log_response(method, url, resp, started, counted)
                return self._decode(method, path, resp, what)
            except PostizError as exc:
                raise exc.scrub(self._key) from None
            finally:
                resp.close()

    def _read_body(self, method: str, path: str, resp: requests.Response, counted: bool,
                   deadline: Deadline, started: float) -> None:
        """Read the answer into `resp` (its `.content`), at most `max_answer_bytes` of it,
        within the request's deadline; raise a PostizError naming the request otherwise."""
        where = f"{method} {self.base}{path}"
        status = resp.status_code
        if status == 429 or 300 <= status < 400:
            resp._content = b""  # decided by the status and headers alone: the body is not read
            return
        limit = self.max_answer_bytes
        declared = _int_header(resp.headers.get("Content-Length"))
        chunks: list[bytes] = []
        size = 0
        too_big = declared is not None and declared > limit
        try:
            if not too_big:
                for chunk in resp.iter_content(64 * 1024):
                    size += len(chunk)
                    if size > limit:
                        too_big = True
                        break
                    chunks.append(chunk)
        except requests.RequestException as exc:
            log.info("%s %s: the answer (%d) was cut after %d ms: %s%s", method, url_path(resp.url),
                     status, _ms(started), _describe(exc, self.timeout, deadline),
                     self._counted_note(counted))
            raise self._cut_answer(where, status, counted, deadline, exc) from None
        if deadline.fired and not too_big and (declared is None or size != declared):
            # Shut at the deadline: the end of the connection looked like the end of the answer.
            raise self._cut_answer(where, status, counted, deadline, None)
        if too_big:
            got = f"says {declared} bytes" if declared is not None and declared > limit \
                else "goes on"
            log.info("%s %s: answer refused after %d ms: it %s, over the %s cap", method,
                     url_path(resp.url), _ms(started), got, _size(limit))
            raise NotPostizError(
                f"{where} answered {status} with more than {_size(limit)} (it {got}): refused "
                "unread, as no Postiz answer should be that big",
                hint="something other than Postiz may have answered (a proxy, a captive portal, "
                     "another server): " + base_url_hint(self.api_url) + f". If it really is "
                     f"Postiz listing a huge schedule, raise the cap: {config_mod.ENV_MAX_ANSWER}=128",
                status=status)
        resp._content = b"".join(chunks)

    def _cut_answer(self, where: str, status: int, counted: bool, deadline: Deadline,
                    exc: Exception | None) -> PostizError:
        """The status line came, the whole answer did not (deadline, or the connection dropped)."""
        why = (f"the answer was not complete within {_g(deadline.seconds)} s" if deadline.fired
               else "the connection dropped in the middle of the answer")
        if counted:
            # The headers were seen (and counted by the budget): Postiz may have done it.
            return UncertainResponse(f"{where} answered {status}, but {why}",
                                     hint="Postiz may have carried it out: read the posts back "
                                          "before sending again", status=status)
        hint = _slow_hint(deadline) if deadline.fired else \
            "check the server and any proxy in front of it; the request is safe to run again"
        return NetworkError(f"{where} answered {status}, but {why}", hint=hint, status=status)

    def _check_budget(self, method: str, url: str) -> None:
        try:
            self.budget.check()
        except BudgetExhausted as exc:
            log.debug("budget: not sending %s %s: %s", method, url_path(url), exc.message)
            raise
        if log.isEnabledFor(logging.DEBUG):
            b = self.budget
            source = "from Postiz's headers" if b.known else "assumed: Postiz has not said yet"
            reset = (f", window resets at {datetime.fromtimestamp(b.reset_at, UTC):%H:%M:%S} UTC"
                     if b.reset_at is not None else "")
            log.debug("budget: %d/%d counted requests left (%s%s): sending %s %s",
                      b.available(), b.limit, source, reset, method, url_path(url))

    def _counted_note(self, counted: bool, retries: int = 0) -> str:
        notes = []
        if counted:
            notes.append(f"counted; {self.budget.available()}/{self.budget.limit} left")
        if retries:
            notes.append(f"after {retries} {'retry' if retries == 1 else 'retries'}")
        return f" ({'; '.join(notes)})" if notes else ""

    def _log_response(self, method: str, url: str, resp: requests.Response, started: float,
                      counted: bool) -> None:
        if not log.isEnabledFor(logging.INFO):
            return
        history = getattr(getattr(resp.raw, "retries", None), "history", None) or ()
        log.info("%s %s %d %d ms%s", method, url_path(url), resp.status_code, _ms(started),
                 self._counted_note(counted, len(history)))
        if log.isEnabledFor(logging.DEBUG):
            kind = resp.headers.get("Content-Type", "no content type").split(";")[0]
            limits = [f"{name} {resp.headers[name]}" for name in RATE_HEADERS if name in resp.headers]
            if counted and not limits:
                limits = ["no rate-limit headers: assumed it counted"]
            size = ("body not read" if resp.status_code == 429 or 300 <= resp.status_code < 400
                    else f"{len(resp.content)} bytes")
            log.debug("%s %s answered %s of %s%s", method, url_path(url), size, kind,
                      f"; {', '.join(limits)}" if limits else "")

    def _network_error(self, method: str, path: str, exc: Exception, counted: bool,
                       timeout: Any, deadline: Deadline) -> PostizError:
        reason = _describe(exc, timeout, deadline)
        target = f"{method} {self.base}{path}"
        if counted and (deadline.fired or not _never_sent(exc)):
            self.budget.spent()
            return UncertainResponse(
                f"{target}: the request was sent but no answer came back ({reason})",
                hint="Postiz may have carried it out: read the posts back before sending again")
        if deadline.fired:
            return NetworkError(f"{target}: {reason}", hint=_slow_hint(deadline))
        hint = "check that Postiz is running and POSTIZ_API_URL is right (`cliper-sched doctor`)"
        if isinstance(exc, requests.exceptions.SSLError):
            hint = ("trust your private CA with --ca-bundle FILE or REQUESTS_CA_BUNDLE=FILE; "
                    "never turn verification off")
        return NetworkError(f"cannot reach Postiz: {target}: {reason}", hint=hint)

    def _decode(self, method: str, path: str, resp: requests.Response, what: str | None) -> Any:
        status = resp.status_code
        where = f"{method} {self.base}{path}"
        if 300 <= status < 400:
            location = redact(resp.headers.get("Location", "?"), self._key)
            raise NotPostizError(f"{where} answered a redirect ({status}) to {location}: "
                                 "that is not the Postiz public API",
                                 hint=base_url_hint(self.api_url, location), status=status)
        if status == 429:
            # A block whatever the body says, or if it says nothing: Postiz's JSON, an nginx
            # page, an empty answer (docs/postiz-api.md §15.3). Never "not the Postiz API".
            raw = resp.headers.get("Retry-After")
            retry_after = _retry_after(raw)
            until = self.budget.blocked(retry_after)
            log.debug("budget: blocked (429, Retry-After %s) until %s: nothing counted is sent "
                      "before then", raw if raw is not None else f"absent, so {BLOCK_SECONDS} s",
                      until.isoformat(timespec="seconds"))
            raise RateLimited(retry_after, until)
        body, is_json = _json(resp)
        if status == 401:
            msg = body.get("msg") if isinstance(body, dict) else None
            msg = _clip(str(msg)) if msg is not None else None
            raise AuthError(redact(f"Postiz refused the API key (401): {msg or 'empty answer'}",
                                   self._key), hint=self._auth_hint(msg), status=401)
        if not is_json:
            if status >= 500:
                raise ServerError(f"{where}: server error {status} {resp.reason} (not JSON: a "
                                  "proxy in front of Postiz, or the backend is down)", status=status)
            kind = resp.headers.get("Content-Type", "no content type").split(";")[0]
            sent = "malformed JSON" if kind.endswith("json") else f"{kind}, not JSON"
            raise NotPostizError(f"{where} answered {status} with {sent}: this is not "
                                 "the Postiz public API", hint=base_url_hint(self.api_url),
                                 status=status)
        if status < 300:
            return body
        message = _message(body)
        if status == 404:
            if message.startswith("Cannot "):
                raise RouteNotFound(f"{where}: this server has no such route ({message})",
                                    hint=base_url_hint(self.api_url) + "; or this Postiz "
                                    "version is too old for this call", status=404)
            raise NotFound(f"{what or where}: not found in Postiz ({message})", status=404)
        if status in (400, 413, 422):
            raise self._validation_error(body, message, status)
        if status >= 500:
            raise ServerError(f"{where}: Postiz server error {status} ({message})", status=status,
                              hint="look at the Postiz backend logs; the request may or may "
                              "not have been carried out")
        raise PostizError(f"{where}: Postiz answered {status} ({message})", status=status)

    def _validation_error(self, body: Any, message: str, status: int) -> ValidationError:
        if isinstance(body, dict) and "provider" in body:
            provider, channel = body.get("provider"), body.get("name")
            provider = _clip(str(provider)) if provider is not None else None
            channel = _clip(str(channel)) if channel is not None else None
            return ValidationError(f"Postiz refused the post for {provider} channel "
                                   f"{channel!r}: {message}", messages=[message],
                                   provider=provider, channel=channel, status=status)
        raw = body.get("message") if isinstance(body, dict) else None
        messages = [_clip(str(m)) for m in raw[:MAX_MESSAGES]] if isinstance(raw, list) else [message]
        text = "; ".join(messages)
        hint = "keep each create request small (no inline media)" if status == 413 else None
        return ValidationError(f"Postiz refused the request ({status}): {text}",
                               messages=messages, hint=hint, status=status)

    def _auth_hint(self, msg: str | None) -> str:
        if self._key.lower().startswith("bearer "):
            return ("remove the 'Bearer ' prefix: Postiz wants the raw key in Authorization")
        if msg == "No subscription found":
            return "this Postiz (cloud) has no subscription for the organisation of this key"
        if msg is None:
            return ("Postiz failed while checking the key (empty 401): look at the backend logs "
                    "(database down?)")
        return AUTH_HINT

    def _note_date(self, resp: requests.Response) -> None:
        raw = resp.headers.get("Date")
        if not raw:
            return
        try:
            parsed = email.utils.parsedate_to_datetime(raw)
        except (TypeError, ValueError):
            return
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        self.last_date = parsed.astimezone(UTC)
        self.last_date_local = datetime.now(UTC)

    def _parse(self, what: str, fn):  # noqa: ANN001 - small local helper
        try:
            return fn()
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            error = NotPostizError(f"{self.base}: {what} answered JSON of an unexpected shape "
                                   f"({type(exc).__name__}: {exc})", hint=base_url_hint(self.api_url))
            raise error.scrub(self._key) from None


RATE_HEADERS = ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset", "Retry-After")


def _ms(started: float) -> int:
    return round((time.monotonic() - started) * 1000)


def _seg(value: str) -> str:
    """One URL path segment: ids never smuggle a `/` or `?` into the path."""
    return quote(str(value), safe="")


def _json(resp: requests.Response) -> tuple[Any, bool]:
    if not resp.content:
        return None, False
    try:
        return resp.json(), True
    except (ValueError, RecursionError):  # RecursionError: nested deeper than Python's parser goes
        return None, False


def _message(body: Any) -> str:
    if isinstance(body, dict):
        for key in ("message", "msg", "error"):
            value = body.get(key)
            if isinstance(value, list):
                return _clip("; ".join(str(v) for v in value[:MAX_MESSAGES]))
            if value not in (None, ""):
                return _clip(str(value))
    return "no message"


def _clip(text: str) -> str:
    """A server's message, cut to a length a terminal (and the redaction) can take."""
    if len(text) <= MAX_MESSAGE_CHARS:
        return text
    return text[:MAX_MESSAGE_CHARS] + f"… ({len(text) - MAX_MESSAGE_CHARS} more characters)"


def _retry_after(raw: str | None) -> int:
    """Seconds to wait: `Retry-After` as seconds or as an HTTP date; an hour when absent
    or unreadable (Postiz blocks for an hour; assume the worst)."""
    if raw is None or not str(raw).strip():
        return BLOCK_SECONDS
    text = str(raw).strip()
    try:
        return max(0, int(text))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return BLOCK_SECONDS
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0, int((when - datetime.now(UTC)).total_seconds() + 0.999))


def _total_seconds(timeout: float | tuple[float, float]) -> float:
    """The whole-request deadline a timeout gives: its read part (the `--timeout` value)."""
    return float(timeout[1] if isinstance(timeout, tuple) else timeout)


def _int_header(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _size(n: int) -> str:
    return f"{n // (1024 * 1024)} MiB" if n >= 1024 * 1024 and n % (1024 * 1024) == 0 else f"{n} bytes"


def _g(seconds: float) -> str:
    return f"{seconds:g}" if seconds < 100 else f"{seconds:.0f}"


def _slow_hint(deadline: Deadline) -> str:
    return (f"Postiz, or a proxy in front of it, did not finish answering in {_g(deadline.seconds)} s "
            "(each request must end within --timeout / POSTIZ_TIMEOUT); check the server, or "
            "raise --timeout if it is only slow")


def _never_sent(exc: Exception) -> bool:
    """True when the request certainly did not reach the server (no connection made)."""
    if isinstance(exc, (requests.exceptions.ConnectTimeout, requests.exceptions.SSLError,
                        requests.exceptions.InvalidURL, requests.exceptions.MissingSchema)):
        return True
    if isinstance(exc, requests.exceptions.ConnectionError):
        reason = exc.args[0] if exc.args else None
        if isinstance(reason, MaxRetryError):
            reason = reason.reason
        return isinstance(reason, (NewConnectionError, NameResolutionError))
    return False


def _describe(exc: Exception, timeout: Any, deadline: Deadline | None = None) -> str:
    """A short reason without requests' long text (which repeats URLs)."""
    if deadline is not None and deadline.fired:
        return f"no answer within {_g(deadline.seconds)} s"
    reason: Any = exc.args[0] if exc.args else None
    if isinstance(reason, MaxRetryError):
        reason = reason.reason
    if isinstance(exc, requests.exceptions.SSLError):
        return "TLS verification failed"
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return "connection timed out"
    if isinstance(exc, requests.exceptions.Timeout) or "timed out" in str(reason).lower():
        return f"no answer within {timeout if not isinstance(timeout, tuple) else timeout[1]}s"
    if isinstance(reason, NameResolutionError):
        return "host name not found"
    if isinstance(reason, NewConnectionError):
        return "connection refused"
    return "connection dropped before an answer came"


def base_url_hint(api_url: str, location: str | None = None) -> str:
    if location and location.startswith("https://") and api_url.startswith("http://"):
        return "the server redirects to https: set POSTIZ_API_URL to the https:// address"
    if not api_url.rstrip("/").endswith("/api") and "api.postiz.com" not in api_url:
        return (f"POSTIZ_API_URL must be the backend base: behind the Postiz Docker image that "
                f"is {api_url}/api (with /api); the client adds /public/v1")
    return ("POSTIZ_API_URL must be the backend base: http://HOST:PORT/api behind the Postiz "
            "Docker image, http://HOST:3000 for the bare backend, https://api.postiz.com "
            "for the cloud")

