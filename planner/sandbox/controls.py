"""`Controls`: a client for the sandbox's `/_sandbox/` test controls (see planner.sandbox).

    controls = Controls(sandbox.base_url)     # the root, without `/api`
    controls.set_clock("2030-01-01T00:00:00Z")
    controls.add_fault("POST", "/public/v1/posts", "error", nth=2)
    controls.advance(3600)
    controls.rows()                            # every post row, deleted ones included
    controls.dashboard_edit(post_id, content="edited")   # as the Postiz UI saves it

Standard library only (the sandbox shares nothing with the tool but the HTTP contract).
It talks to the sandbox directly, never through a proxy named in the environment. A
control that answers an error status raises `ControlError` with the sandbox's message.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

DEFAULT_TIMEOUT = 10.0


class ControlError(Exception):
    """A `/_sandbox/` control answered an error status (unknown route, bad body, no such id)."""

    def __init__(self, method: str, path: str, status: int, body: Any):
        self.method, self.path, self.status, self.body = method, path, status, body
        detail = body.get("error", body) if isinstance(body, dict) else body
        super().__init__(f"{method} {path}: {status} {detail}")


class Controls:
    """The unauthenticated `/_sandbox/` controls of the sandbox at `base_url`."""

    def __init__(self, base_url: str, *, timeout: float = DEFAULT_TIMEOUT):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def call(self, method: str, path: str, body: Any = None) -> Any:
        """`method /_sandbox/<path>` with `body` as JSON; the decoded answer (None if empty).

        `path` is relative to `/_sandbox/`, with or without its leading slash ("clock")."""
        url = f"{self.base_url}/_sandbox/{path.lstrip('/')}"
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(url, data=data, method=method.upper(),
                                         headers={"Content-Type": "application/json"})
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                raw = response.read()
        except urllib.error.HTTPError as err:
            with err:
                raw = err.read()
            raise ControlError(method.upper(), path, err.code, _decode(raw)) from None
        return _decode(raw)

    # -- clock ---------------------------------------------------------------------
    def now(self) -> str:
        """The sandbox's clock (ISO 8601, UTC)."""
        return self.call("GET", "clock")["now"]

    def set_clock(self, iso: str) -> str:
        return self.call("POST", "clock", {"now": iso})["now"]

    def advance(self, seconds: float) -> str:
        return self.call("POST", "clock", {"advance_seconds": seconds})["now"]

    # -- posts ---------------------------------------------------------------------
    def publish(self) -> dict:
        """Publish what is due now: {"published": [ids], "errored": [ids]}."""
        return self.call("POST", "publish")

    def worker(self, running: bool) -> dict:
        """Stop (False) or start (True) the publishing worker: stopped, posts past their
        time stay QUEUE, as when Postiz's worker is down or behind."""
        return self.call("POST", "worker", {"running": running})

    def publish_post(self, post_id: str) -> dict:
        """Mark one post (and its thread) PUBLISHED now, whatever its date."""
        return self.call("POST", f"posts/{post_id}/publish")

    def fail_post(self, post_id: str, error: str | dict | None = None) -> dict:
        """Make one post's publish attempt fail: state ERROR, `error` stored as Postiz stores it
        (never listed by `GET /posts`, shown by `rows()`); the row."""
        return self.call("POST", f"posts/{post_id}/fail", {"error": error} if error is not None else {})

    def rows(self) -> list[dict]:
        """Every post row, deleted ones and thread replies included."""
        return self.call("GET", "posts")["posts"]

    def live_rows(self) -> list[dict]:
        """The post rows not deleted."""
        return [r for r in self.rows() if not r.get("deletedAt")]

    def dashboard_edit(self, post_id: str, *, drop_unknown_settings: bool = False, **change: Any) -> dict:
        """What saving the post in the Postiz editor does (id kept, group rotated, every stored
        settings key kept); `change`: content, date, settings (merged). The edited row.

        `drop_unknown_settings=True` simulates instead another client that rebuilds the settings
        from the provider's known fields, dropping unknown keys such as the ownership marker."""
        body = {**change, **({"drop_unknown_settings": True} if drop_unknown_settings else {})}
        return self.call("POST", f"posts/{post_id}/dashboard-edit", body)

    def drag(self, post_id: str, date: str, *, action: str | None = None) -> dict:
        """A calendar drag and drop: only the date changes (id, group, settings kept); the row.

        `action`: "schedule" (the default, what the calendar sends for an unpublished post:
        state back to QUEUE, a draft stays DRAFT) or "update" (the date alone)."""
        body = {"date": date, **({"action": action} if action is not None else {})}
        return self.call("POST", f"posts/{post_id}/drag", body)

    def duplicate(self, post_id: str, date: str | None = None) -> dict:
        """The dashboard's "Duplicate post": a new post (new id and group, QUEUE) with the same
        channel, content and media but no settings, at `date` or the original's; the new row."""
        return self.call("POST", f"posts/{post_id}/duplicate", {"date": date} if date else {})

    # -- channels ------------------------------------------------------------------
    def channels(self) -> list[dict]:
        return self.call("GET", "channels")

    def add_channel(self, provider: str, name: str, **extra: Any) -> dict:
        """`extra`: id, picture, profile, customer ({"id", "name"}), disabled."""
        return self.call("POST", "channels", {"provider": provider, "name": name, **extra})

    def update_channel(self, channel_id: str, **fields: Any) -> dict:
        """`fields`: disabled, refresh_needed, deleted, verified, customer, posting_times, name..."""
        return self.call("PATCH", f"channels/{channel_id}", fields)

    # -- rate limit ----------------------------------------------------------------
    def ratelimit(self) -> dict:
        """{"limit", "hits", "window_ends_in", "blocked_for"}."""
        return self.call("GET", "ratelimit")

    def hits(self) -> int:
        """Counted requests in the current rate-limit window."""
        return self.ratelimit()["hits"]

    def reset_ratelimit(self) -> dict:
        return self.call("DELETE", "ratelimit")

    # -- faults --------------------------------------------------------------------
    def add_fault(self, method: str, path: str, action: str, *, nth: int = 1, count: int = 1,
                  seconds: float = 0, status: int = 500) -> dict:
        """Fire `action` ("error", "delay", "drop") on the `nth` request matching `method`
        and `path` (fnmatch, without /api), `count` times; see planner.sandbox.faults."""
        return self.call("POST", "faults", {"method": method, "path": path, "action": action, "nth": nth,
                                            "count": count, "seconds": seconds, "status": status})

    # -- media URLs ------------------------------------------------------------------
    def set_frontend_url(self, url: str | None, *, ranges: bool | None = None) -> dict:
        """Upload paths start with `url` (Postiz's FRONTEND_URL; None: the sandbox's own
        address); `ranges=False`: /uploads/ ignores Range requests."""
        body: dict[str, Any] = {"url": url}
        if ranges is not None:
            body["ranges"] = ranges
        return self.call("POST", "frontend-url", body)

    def faults(self) -> list[dict]:
        """Every fault with its `seen` and `fired` counts."""
        return self.call("GET", "faults")["faults"]

    def clear_faults(self) -> None:
        self.call("DELETE", "faults")


def _decode(raw: bytes) -> Any:
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode("utf-8", "replace")
