"""What a change set costs in Postiz's rate limit, before anything is sent.

Creates and edits go through `POST /posts`, the one counted route
(docs/postiz-api.md §15): one counted request per target instant and kind,
split where Postiz's body limit (§3.3) or a sane entry count requires.
Deletes, settings-only updates (PUT, where the server has it) and uploads
are not counted. `diff` shows these figures; the executor sends these batches.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from planner.reconcile.changes import ChangeSet, Create, Update

# Postiz parses at most ~100 kB of JSON per request (docs/postiz-api.md §3.3): stay well below.
MAX_BODY_BYTES = 80_000
MAX_ENTRIES = 100
WINDOW_SECONDS = 3600


@dataclass
class Batch:
    """One counted request: creates or edits sharing a target instant."""

    at: datetime
    edit: bool
    items: list[Create | Update]


def batches(changes: ChangeSet, *, put_settings: bool) -> tuple[list[Batch], list[Update]]:
    """Group creates and edits into counted requests; settings-only updates go apart."""
    settings_only = [u for u in changes.updates if put_settings and u.settings_only]
    groups: dict[tuple[datetime, bool], list] = {}
    for c in changes.creates:
        groups.setdefault((c.desired.record.at, False), []).append(c)
    for u in changes.updates:
        if u in settings_only:
            continue
        groups.setdefault((u.desired.record.at, True), []).append(u)
    out: list[Batch] = []
    for (at, edit), items in sorted(groups.items(), key=lambda kv: (kv[0][0], kv[0][1])):
        chunk: list = []
        size = 0
        for item in sorted(items, key=lambda i: i.address):
            item_size = len(item.desired.caption.encode("utf-8")) + 600 + len(json.dumps(item.desired.record.settings))
            if chunk and (len(chunk) >= MAX_ENTRIES or size + item_size > MAX_BODY_BYTES):
                out.append(Batch(at, edit, chunk))
                chunk, size = [], 0
            chunk.append(item)
            size += item_size
        if chunk:
            out.append(Batch(at, edit, chunk))
    return out, settings_only


def counted_needed(changes: ChangeSet, *, put_settings: bool) -> int:
    return len(batches(changes, put_settings=put_settings)[0])


def eta_seconds(needed: int, budget: Any, now: float | None = None) -> float:
    """Seconds of rate-limit waiting `needed` counted requests imply (0 if they fit now)."""
    available = budget.available()
    if needed <= available:
        return 0.0
    now = now if now is not None else time.time()
    first = budget.next_allowed() if available == 0 else None
    reset_at = budget.reset_at or (first.timestamp() if first else now + WINDOW_SECONDS)
    wait_first = max(0.0, reset_at - now)
    if budget.blocked_until:
        wait_first = max(wait_first, budget.blocked_until - now)
    left = needed - available
    extra_windows = (left - 1) // max(1, budget.limit)
    return wait_first + extra_windows * WINDOW_SECONDS
