"""The one Postiz public API client (docs/postiz-api.md §5-§11, §15).

One `requests.Session` (connection reuse, TLS verified, a timeout on every
request). Safe requests (GET, PUT, DELETE) are retried with a short, bounded
exponential backoff by urllib3's `Retry` on the session adapter (`_SafeRetry`);
`POST /posts` never is: it has no idempotency key, so a lost answer raises
`UncertainResponse` and the reconciler reads the posts back before deciding.
Counted requests go through the rate-limit budget first. The API key lives only
in the session headers and is redacted from every error and every log line.

Each request is logged (`-v`): `POST /api/public/v1/posts 201 143 ms (counted;
29/30 left)`, one line per request plus one per retry; `-vv` adds the size and
rate-limit headers of each answer and the budget's decisions (planner.logs).
"""

from __future__ import annotations

import email.utils
import logging
import os
import time
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import requests
import requests.auth
from requests.adapters import HTTPAdapter
from requests_toolbelt.multipart.encoder import MultipartEncoder
from urllib3.exceptions import (
    MaxRetryError,
    NameResolutionError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
)
from urllib3.util.retry import Retry

from planner import __version__, logs
from planner.postiz import config as config_mod
from planner.postiz.budget import DEFAULT_LIMIT, RateBudget
from planner.postiz.errors import (
    AuthError,
    BudgetExhausted,
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

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = (5.0, 60.0)  # (connect, read) seconds
FIND_SLOT_TIMEOUT = (5.0, 10.0)  # find-slot can hang forever on a disabled channel (docs/postiz-api.md §5.4)
POST_TYPES = ("schedule", "now", "draft", "update")
AUTH_HINT = ("use the key from Postiz Settings > Public API, raw (no 'Bearer ' prefix); "
             "check POSTIZ_API_URL points at the backend (Docker: http://localhost:5000/api, "
             "with /api)")


class _SafeRetry(Retry):
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
        if once:
            return Retry(total=0, raise_on_status=False).increment(
                method, url, response, error, _pool, _stacktrace)
        new = super().increment(method, url, response, error, _pool, _stacktrace)
        # Only reached when a retry will really be made (exhaustion raises above).
        if log.isEnabledFor(logging.INFO):
            done = len(new.history)
            of = done + new.total if isinstance(new.total, int) else "?"
            why = str(response.status) if response is not None else _short_reason(error)
            wait = new.get_backoff_time()
            log.info("%s %s %s, retry %d of %s %s", method, _path(url), why, done, of,
                     f"in {wait:.1f} s" if wait else "now")
        return new


class _RawKeyAuth(requests.auth.AuthBase):
    """`Authorization: <key>`, raw: Postiz refuses `Bearer <key>` (docs/postiz-api.md §2.1)."""

    def __init__(self, key: str):
        self._key = key

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = self._key
        return request

    def __repr__(self) -> str:
        return "_RawKeyAuth(<redacted>)"


class PostizClient:
    def __init__(self, api_url: str, api_key: str, *, timeout: float | tuple[float, float] = DEFAULT_TIMEOUT,
                 retries: int = 3, backoff: float = 0.5, assumed_limit: int = DEFAULT_LIMIT,
                 ca_bundle: str | None = None, budget: RateBudget | None = None):
        if not api_key:
            raise ValueError("api_key is empty")
        logs.add_secret(api_key)  # before anything could log it
        self.api_url = config_mod.normalize_url(api_url, "api_url")
        self.base = self.api_url + config_mod.API_PREFIX
        self._key = api_key
        self.timeout = timeout
        self.budget = budget or RateBudget(assumed_limit)
        self.last_date: datetime | None = None  # the server's last `Date` header
        self.last_date_local: datetime | None = None  # this machine's clock when it came
        self.session = requests.Session()
        self.session.headers.update({"Accept": "application/json",
                                     "User-Agent": f"cliper-sched/{__version__}"})
        # As session auth, so a ~/.netrc entry for the host can never replace the key.
        self.session.auth = _RawKeyAuth(api_key)
        # Passed with every request: requests lets REQUESTS_CA_BUNDLE override a
        # session-level `verify`, and --ca-bundle must win over the environment.
        self.verify: bool | str = ca_bundle or True
        retry = _SafeRetry(
            total=retries, connect=retries, read=retries, status=retries, other=0,
            backoff_factor=backoff, backoff_max=4,  # worst case a few seconds, never minutes
            status_forcelist=(500, 502, 503, 504),
            allowed_methods=frozenset({"GET", "PUT", "DELETE"}),
            respect_retry_after_header=False,  # a 429 is never retried
            raise_on_status=False,
        )
        adapter = HTTPAdapter(max_retries=retry, pool_connections=2, pool_maxsize=4)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        connect, read = timeout if isinstance(timeout, tuple) else (timeout, timeout)
        log.debug("Postiz public API at %s (timeouts: connect %g s, read %g s; %d retries for "
                  "GET/PUT/DELETE; CA bundle: %s)", self.base, connect, read, retries,
                  ca_bundle or "default")

    @classmethod
    def from_config(cls, cfg: config_mod.PostizConfig, **kwargs: Any) -> PostizClient:
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

    def upload(self, path: str | os.PathLike) -> Media:
        """Multipart upload (field `file`), streamed from disk: a 1 GB clip is not loaded in memory."""
        p = Path(path)
        try:
            fh = p.open("rb")
        except OSError as exc:
            raise PostizError(f"{p}: cannot read the file to upload ({exc.strerror})") from None
        with fh:
            encoder = MultipartEncoder({"file": (p.name, fh, "application/octet-stream")})
            body = self._request("POST", "/upload", data=encoder,
                                 headers={"Content-Type": encoder.content_type}, what=str(p))
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
        """`draft` or `schedule`; returns the new state (DRAFT / QUEUE)."""
        if status not in ("draft", "schedule"):
            raise ValueError("status must be 'draft' or 'schedule'")
        body = self._request("PUT", f"/posts/{_seg(post_id)}/status", json={"status": status},
                             what=f"post {post_id}")
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
                 timeout: float | tuple[float, float] | None = None, what: str | None = None) -> Any:
        url = self.base + path
        if counted:
            self._check_budget(method, url)
        started = time.monotonic()
        try:
            resp = self.session.request(method, url, params=params, json=json, data=data,
                                        headers=headers, timeout=timeout or self.timeout,
                                        allow_redirects=False, verify=self.verify)
        except requests.RequestException as exc:
            error = self._network_error(method, path, exc, counted, timeout or self.timeout)
            log.info("%s %s failed after %d ms: %s%s", method, _path(url), _ms(started),
                     _describe(exc, timeout or self.timeout), self._counted_note(counted))
            raise error.scrub(self._key) from None
        self._note_date(resp)
        if counted:
            self.budget.observe(resp.status_code, resp.headers)
        self._log_response(method, url, resp, started, counted)
        try:
            return self._decode(method, path, resp, what)
        except PostizError as exc:
            raise exc.scrub(self._key) from None
        finally:
            resp.close()

    def _check_budget(self, method: str, url: str) -> None:
        try:
            self.budget.check()
        except BudgetExhausted as exc:
            log.debug("budget: not sending %s %s: %s", method, _path(url), exc.message)
            raise
        if log.isEnabledFor(logging.DEBUG):
            b = self.budget
            source = "from Postiz's headers" if b.known else "assumed: Postiz has not said yet"
            reset = (f", window resets at {datetime.fromtimestamp(b.reset_at, UTC):%H:%M:%S} UTC"
                     if b.reset_at is not None else "")
            log.debug("budget: %d/%d counted requests left (%s%s): sending %s %s",
                      b.available(), b.limit, source, reset, method, _path(url))

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
        log.info("%s %s %d %d ms%s", method, _path(url), resp.status_code, _ms(started),
                 self._counted_note(counted, len(history)))
        if log.isEnabledFor(logging.DEBUG):
            kind = resp.headers.get("Content-Type", "no content type").split(";")[0]
            limits = [f"{name} {resp.headers[name]}" for name in RATE_HEADERS if name in resp.headers]
            if counted and not limits:
                limits = ["no rate-limit headers: assumed it counted"]
            log.debug("%s %s answered %d bytes of %s%s", method, _path(url), len(resp.content),
                      kind, f"; {', '.join(limits)}" if limits else "")

    def _network_error(self, method: str, path: str, exc: Exception, counted: bool,
                       timeout: Any) -> PostizError:
        reason = _describe(exc, timeout)
        target = f"{method} {self.base}{path}"
        if counted and not _never_sent(exc):
            self.budget.spent()
            return UncertainResponse(
                f"{target}: the request was sent but no answer came back ({reason})",
                hint="Postiz may have carried it out: read the posts back before sending again")
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
        body, is_json = _json(resp)
        if status == 401:
            msg = body.get("msg") if isinstance(body, dict) else None
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
        if status == 429:
            retry_after = _retry_after(resp.headers.get("Retry-After"))
            until = self.budget.blocked(retry_after)
            log.debug("budget: blocked by Postiz (429, Retry-After %s) until %s: nothing "
                      "counted is sent before then", resp.headers.get("Retry-After", "absent"),
                      until.isoformat(timespec="seconds"))
            raise RateLimited(retry_after, until)
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
            return ValidationError(f"Postiz refused the post for {provider} channel "
                                   f"{channel!r}: {message}", messages=[message],
                                   provider=provider, channel=channel, status=status)
        raw = body.get("message") if isinstance(body, dict) else None
        messages = [str(m) for m in raw] if isinstance(raw, list) else [message]
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


def _path(url: str | None) -> str:
    """The path of a URL, for logs: no scheme, host, or query string."""
    return urlsplit(url or "").path or "/"


def _ms(started: float) -> int:
    return round((time.monotonic() - started) * 1000)


def _short_reason(error: Exception | None) -> str:
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
                return "; ".join(str(v) for v in value)
            if value not in (None, ""):
                return str(value)
    return "no message"


def _retry_after(raw: str | None) -> int:
    try:
        return max(0, int(str(raw).strip()))
    except ValueError:
        return 3600  # Postiz blocks for an hour; assume the worst


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


def _describe(exc: Exception, timeout: Any) -> str:
    """A short reason without requests' long text (which repeats URLs)."""
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

