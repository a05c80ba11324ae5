"""Rate-limit budget for the one counted route, `POST /public/v1/posts`.

Postiz counts every authenticated create/edit in a fixed one-hour window per
organisation; request number limit+1 gets a 429 and blocks the organisation for
an hour, and requests sent during the block keep counting (docs/postiz-api.md §15).
So the client never sends a request that is bound to be refused: it tracks the
`X-RateLimit-*` headers and refuses locally instead (`BudgetExhausted`).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime

from planner.postiz.errors import BudgetExhausted

WINDOW_SECONDS = 3600
DEFAULT_LIMIT = 30  # what the shipped docker-compose sets as API_LIMIT


class RateBudget:
    """What is left of the current window, learnt from the server or assumed.

    Times are epoch seconds internally; `snapshot()` gives absolute UTC times so
    the reconciler can persist the budget across runs.
    """

    def __init__(self, assumed_limit: int = DEFAULT_LIMIT, *,
                 clock: Callable[[], float] = time.time):
        if assumed_limit < 1:
            raise ValueError("assumed_limit must be at least 1")
        self.assumed_limit = assumed_limit
        self._clock = clock
        self.limit: int = assumed_limit
        self.remaining: int = assumed_limit
        self.reset_at: float | None = None  # end of the current window, if known
        self.blocked_until: float | None = None  # end of a 429 block
        self.known = False  # True once the server has told us
        # Called after every block (a 429), e.g. to write it down at once (budgetcache).
        self.on_block: list[Callable[[], None]] = []

    # -- questions -----------------------------------------------------------------

    def _roll(self) -> None:
        now = self._clock()
        if self.blocked_until is not None and now >= self.blocked_until:
            self.blocked_until = None
        if self.reset_at is not None and now >= self.reset_at:
            # A fresh window: the server's counter expired.
            self.remaining = self.limit
            self.reset_at = None

    def available(self) -> int:
        """How many counted requests may still be sent now."""
        self._roll()
        if self.blocked_until is not None:
            return 0
        return max(0, self.remaining)

    def next_allowed(self) -> datetime | None:
        """When the next counted request may be sent (None: now)."""
        if self.available() > 0:
            return None
        ends = [t for t in (self.blocked_until, self.reset_at) if t is not None]
        # remaining 0 with no known reset: assume a full window from now.
        until = max(ends) if ends else self._clock() + WINDOW_SECONDS
        return datetime.fromtimestamp(until, UTC)

    def check(self) -> None:
        """Raise BudgetExhausted if a counted request now would be refused."""
        if self.available() > 0:
            return
        until = self.next_allowed()
        assert until is not None
        reason = ("Postiz blocked this organisation (429)" if self.blocked_until is not None
                  else f"rate-limit budget spent ({self.limit} create/edit requests per hour)")
        raise BudgetExhausted(until, reason=reason)

    # -- what happened -------------------------------------------------------------

    def observe(self, status: int, headers: Mapping[str, str]) -> None:
        """Learn from the answer to a counted request."""
        now = self._clock()
        if status == 401 or 300 <= status < 400:
            return  # refused by auth, or redirected by a proxy: never reached the throttler
        limit = _int(headers.get("X-RateLimit-Limit"))
        remaining = _int(headers.get("X-RateLimit-Remaining"))
        reset = _int(headers.get("X-RateLimit-Reset"))
        if limit is not None and remaining is not None:
            self.known = True
            self.limit = limit
            self.remaining = remaining
            if reset is not None:
                self.reset_at = now + reset
            return
        # No headers (a proxy, a 429 or a body-parser error): assume it counted.
        self.spent()

    def spent(self) -> None:
        """A counted request was sent and its answer is unknown: assume it counted."""
        self._roll()
        if self.reset_at is None:
            self.reset_at = self._clock() + WINDOW_SECONDS
        self.remaining = max(0, self.remaining - 1)

    def blocked(self, retry_after: int) -> datetime:
        """A 429, whatever its body: nothing counted may be sent until the block ends.

        `retry_after` comes from the `Retry-After` header, or is an hour when the
        answer had none (docs/postiz-api.md §15.3). A block never shortens one
        already known. Returns when it ends.
        """
        now = self._clock()
        headers_known = self.known
        self.known = True  # the server told us, if only that we are blocked
        until = now + max(0, retry_after)
        if self.blocked_until is None or self.blocked_until < until:
            self.blocked_until = until
        self.remaining = 0
        if not headers_known or self.reset_at is None or self.reset_at < self.blocked_until:
            # The block's end is when counting starts again; only a window the server
            # reported (X-RateLimit-Reset) may end later than that.
            self.reset_at = self.blocked_until
        for listener in list(self.on_block):
            listener()
        return datetime.fromtimestamp(self.blocked_until, UTC)

    # -- persistence (done by the reconciler) -------------------------------------

    def snapshot(self) -> dict:
        """Plain dict with absolute UTC times (ISO 8601); no secrets."""
        self._roll()
        return {
            "limit": self.limit,
            "remaining": self.remaining,
            "known": self.known,
            "reset_at": _iso(self.reset_at),
            "blocked_until": _iso(self.blocked_until),
        }

    def restore(self, data: Mapping) -> None:
        """Take back a snapshot from an earlier run; expired times are dropped."""
        self.limit = int(data.get("limit") or self.assumed_limit)
        self.remaining = int(data.get("remaining", self.limit))
        self.known = bool(data.get("known", False))
        self.reset_at = _epoch(data.get("reset_at"))
        self.blocked_until = _epoch(data.get("blocked_until"))
        self._roll()


def _int(value: str | None) -> int | None:
    try:
        return int(str(value).strip()) if value is not None else None
    except ValueError:
        return None


def _iso(epoch: float | None) -> str | None:
    if epoch is None:
        return None
    # Rounded up: a restored budget must never think a window ends earlier than it does.
    return datetime.fromtimestamp(math.ceil(epoch), UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _epoch(text: str | None) -> float | None:
    if not text:
        return None
    return datetime.fromisoformat(str(text)).timestamp()
