"""A plan's identity: the `id` in the plan file, written by `plan` (or by the first
`apply` of a plan made without one) and never changed after.

Postiz's copy of each post carries it in its ownership marker
(reconcile/ownership.py), so it must never collide: not the display `name`
(two plans of one video share the video id; `promo` and `promo/week2` nest),
but `p` and 15 hex digits of a hash of the freshly made plan (same inputs, same
plan, byte for byte) or random ones. The letter keeps it plain text in YAML
(`1e50…` would read as a number).
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from pathlib import Path

from planner.fsutil import atomic_write_bytes

PLAN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{7,63}$")
_VERSION_LINE = re.compile(rb"^version:[^\r\n]*(\r?\n)", re.MULTILINE)


def for_document(document: dict) -> str:
    """A deterministic id for a freshly made plan document (without an `id`)."""
    text = json.dumps(document, sort_keys=True, ensure_ascii=False, default=str)
    return "p" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:15]


def new() -> str:
    return "p" + secrets.token_hex(8)[:15]


def read_from_file(path: Path) -> str | None:
    """The `id` of an existing plan file, if it has a valid one (anything else: None)."""
    try:
        data = Path(path).read_bytes()
    except OSError:
        return None
    m = re.search(rb"^id:[ \t]*[\"']?([^\s\"'#]+)[\"']?[ \t]*(?:#.*)?\r?$", data[:1 << 16], re.MULTILINE)
    found = m.group(1).decode("ascii", "replace") if m else ""
    return found if PLAN_ID.match(found) else None  # one rule for a valid id: PLAN_ID


def add_to_file(path: Path, plan_id: str) -> bool:
    """Insert `id: <plan_id>` after the top-level `version:` line, keeping every other
    byte (comments, BOM, line endings); atomic. False when there is no such line."""
    data = Path(path).read_bytes()
    m = _VERSION_LINE.search(data)
    if m is None:
        return False
    line = b"id: " + plan_id.encode("ascii") + m.group(1)
    atomic_write_bytes(path, data[: m.end()] + line + data[m.end():])
    return True
