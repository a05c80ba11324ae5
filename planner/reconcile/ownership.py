"""Proof of ownership: the marker in Postiz and the signatures on the state file.

A post belongs to a plan only when something the pull-request author cannot
forge says so (docs/postiz-api.md §17):

- **The marker** the tool writes into each post's settings (`cliper_sched`):
  `cs1:<plan id>:<fingerprint>:<address>`. The plan id is the plan file's `id`
  (never its display name, so two plans never share one), the address is
  `<key>@<channel ref>`, and the fingerprint hashes what the tool last applied
  (time, stored content, settings, draft or not; then media). Postiz keeps unknown settings
  keys through API edits, PUT-settings merges and dashboard saves, and lists them
  on current releases: any machine with the plan and the API key can tell a plan
  change (live == fingerprint) from a dashboard edit (live != fingerprint).
- **A signature** (HMAC-SHA256) on each state-file entry, keyed by a secret
  derived from the API key. A state file arriving in a pull request cannot name
  a post, an upload or a journaled request the tool did not record itself: on
  Postiz v2.23.0, which lists no settings, this is what proves ownership.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from planner.planid import PLAN_ID
from planner.reconcile import normalize

PREFIX = "cs1"
_FP = re.compile(r"^[0-9a-f]{32}$")
# What a reconstructed record holds for media whose files are unknown (no state):
# never equal to a real sha256, so a plan's media is re-sent rather than assumed.
UNKNOWN_MEDIA = "0" * 64


def _digest(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def fields_fingerprint(at: datetime, content: str, settings: dict, status: str = "schedule") -> str:
    """What Postiz lists of a post (main): its instant, stored content, settings, and
    whether it is a draft. A draft is hashed as one (so a dashboard switch between draft
    and scheduled is drift); a scheduled post hashes as before drafts existed."""
    listed: list = [normalize.iso_z(at), content, normalize.settings(settings)]
    if status == "draft":
        listed.append("draft")
    return _digest(listed)


def media_fingerprint(media: tuple[str, ...] | list[str]) -> str:
    return _digest(list(media))


def fingerprint(record: Any) -> str:
    """`record`: a `records.Record` (at, content, media, settings, status)."""
    return (fields_fingerprint(record.at, record.content, record.settings, record.status)
            + media_fingerprint(record.media))


@dataclass(frozen=True)
class Marker:
    plan_id: str
    address: str
    fingerprint: str  # 16 hex (fields) + 16 hex (media)

    @property
    def fields(self) -> str:
        return self.fingerprint[:16]

    @property
    def media(self) -> str:
        return self.fingerprint[16:]

    def text(self) -> str:
        return f"{PREFIX}:{self.plan_id}:{self.fingerprint}:{self.address}"

    @classmethod
    def parse(cls, value: object) -> Marker | None:
        """A marker of this format, or None (absent, a legacy `<name>/<address>`, or junk)."""
        if not isinstance(value, str):
            return None
        parts = value.split(":", 3)
        if len(parts) != 4 or parts[0] != PREFIX:
            return None
        _, plan_id, fp, address = parts
        if not PLAN_ID.match(plan_id) or not _FP.match(fp) or "@" not in address:
            return None
        return cls(plan_id, address, fp)

    def describes(self, at: datetime, content: str, settings: dict | None, status: str = "schedule") -> bool:
        """Whether the listed fields are still what this marker says was applied."""
        return settings is not None and fields_fingerprint(at, content, settings, status) == self.fields


def marker_for(plan_id: str, address: str, record: Any) -> Marker:
    return Marker(plan_id, address, fingerprint(record))


class Signer:
    """HMAC over state entries with a key derived from the API key (never the key itself).
    Whoever lacks the API key (a pull-request author) cannot make an entry that verifies;
    a rotated API key invalidates every entry (re-run `cliper-sched import`)."""

    PURPOSE = b"cliper-sched state signature v1"

    def __init__(self, key: bytes):
        self._key = key

    def sign(self, kind: str, plan_id: str, body: Any) -> str:
        text = json.dumps([kind, plan_id, body], sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hmac.new(self._key, text.encode("utf-8"), hashlib.sha256).hexdigest()

    def verify(self, kind: str, plan_id: str, body: Any, mac: object) -> bool:
        return isinstance(mac, str) and hmac.compare_digest(self.sign(kind, plan_id, body), mac)

    def __repr__(self) -> str:
        return "Signer(<redacted>)"
