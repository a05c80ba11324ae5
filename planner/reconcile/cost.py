"""What a change set costs in Postiz's rate limit, before anything is sent.

Creates and edits go through `POST /posts`, the one counted route
(docs/postiz-api.md §15): one counted request per target instant, kind (create
or edit) and type (`schedule` or `draft`: a request has one `type`, §8.1),
split where Postiz's body limit (§3.3) or a sane entry count requires.
Deletes, status switches (`PUT /posts/:id/status`, §10.3), settings-only
updates (PUT, where the server has it) and uploads are not counted. `diff`
shows these figures; the executor sends these batches.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from planner.reconcile.changes import ChangeSet, Create, Update
from planner.reconcile.records import SCHEDULE

# Postiz parses at most ~100 kB of JSON per request (docs/postiz-api.md §3.3): stay well below.
MAX_BODY_BYTES = 80_000
MAX_ENTRIES = 100
WINDOW_SECONDS = 3600


@dataclass
class Batch:
    """One counted request: creates or edits sharing a target instant and a type."""

    at: datetime
    edit: bool
    items: list[Create | Update]
    type: str = SCHEDULE  # the request's `type`: SCHEDULE or DRAFT (the state each post gets)


def batches(changes: ChangeSet, *, put_settings: bool, put_status: bool = True) -> tuple[list[Batch], list[Update]]:
    """Group creates and edits into counted requests; updates the uncounted routes can
    do alone (status switches; settings-only where the server has the PUT) go apart."""
    uncounted = [u for u in changes.updates if u.uncounted(put_settings, put_status)]
    groups: dict[tuple[datetime, bool, str], list] = {}
    for c in changes.creates:
        groups.setdefault((c.desired.record.at, False, c.desired.record.status), []).append(c)
    for u in changes.updates:
        if u in uncounted:
            continue
        groups.setdefault((u.desired.record.at, True, u.desired.record.status), []).append(u)
    out: list[Batch] = []
    for (at, edit, type_), items in sorted(groups.items(), key=lambda kv: kv[0]):
        chunk: list = []
        size = 0
        for item in sorted(items, key=lambda i: i.address):
            item_size = len(item.desired.caption.encode("utf-8")) + 600 + len(json.dumps(item.desired.record.settings))
            if chunk and (len(chunk) >= MAX_ENTRIES or size + item_size > MAX_BODY_BYTES):
                out.append(Batch(at, edit, chunk, type_))
                chunk, size = [], 0
            chunk.append(item)
            size += item_size
        if chunk:
            out.append(Batch(at, edit, chunk, type_))
    return out, uncounted


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
