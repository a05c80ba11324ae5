"""The throttler on `POST /public/v1/posts` (docs/postiz-api.md §15, ratelimit transcript).

Fixed one-hour window per organisation; request `limit + 1` starts a one-hour
block; hits keep counting while blocked, so a client that retries during the
block can start the next window already over the limit. Kept in SQLite because
Postiz keeps it in Redis: it survives a restart.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from planner.sandbox.store import Store

TTL_MS = 3_600_000


@dataclass
class Verdict:
    allowed: bool
    headers: dict[str, str]


def hit(store: Store, limit: int) -> Verdict:
    """Count one request and say whether it may proceed (with the headers to send)."""
    now = store.now_ms()
    with store.tx():
        hits = int(store.get_meta("rl_hits", "0"))
        window_end = int(store.get_meta("rl_window_end_ms", "0"))
        blocked_until = int(store.get_meta("rl_blocked_until_ms", "0"))
        if now >= window_end:
            hits, window_end = 0, now + TTL_MS
        hits += 1
        if blocked_until and now >= blocked_until:
            blocked_until = 0
        if not blocked_until and hits > limit:
            blocked_until = now + TTL_MS
        store.set_meta("rl_hits", str(hits))
        store.set_meta("rl_window_end_ms", str(window_end))
        store.set_meta("rl_blocked_until_ms", str(blocked_until))
    if blocked_until:
        return Verdict(False, {"Retry-After": str(math.ceil((blocked_until - now) / 1000))})
    return Verdict(True, {
        "X-RateLimit-Limit": str(limit),
        "X-RateLimit-Remaining": str(max(0, limit - hits)),
        "X-RateLimit-Reset": str(math.ceil((window_end - now) / 1000)),
    })


def reset(store: Store) -> None:
    with store.tx():
        for key in ("rl_hits", "rl_window_end_ms", "rl_blocked_until_ms"):
            store.set_meta(key, None)


def status(store: Store, limit: int) -> dict:
    now = store.now_ms()
    window_end = int(store.get_meta("rl_window_end_ms", "0"))
    hits = int(store.get_meta("rl_hits", "0")) if now < window_end else 0
    blocked_until = int(store.get_meta("rl_blocked_until_ms", "0"))
    return {"limit": limit, "hits": hits, "window_ends_in": max(0, math.ceil((window_end - now) / 1000)),
            "blocked_for": max(0, math.ceil((blocked_until - now) / 1000))}
