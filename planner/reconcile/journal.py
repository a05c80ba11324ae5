"""The crash journal: counted requests sent but not yet confirmed.

Before the executor sends `POST /posts` it records an `Intent` per request
in the state file; after the answer it drops it. An intent still there at
the start of a run means a crash, a lost answer or a timeout: `resolve` reads
Postiz back and says which posts did land (adopt them: never send twice) and
which did not (create them again, once an unanswered request has had time to
land). The state file stores intents as plain JSON (schemas/state.schema.json).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from planner.errors import UserError
from planner.postiz.models import LivePost
from planner.reconcile import normalize
from planner.reconcile.records import Record

# A request that got no answer may still be carried out a little later (a slow
# server): its posts are not re-created until this long after it was sent.
# CLIPER_SCHED_SETTLE_SECONDS tunes it (README, "Connecting to Postiz").
SETTLE_ENV = "CLIPER_SCHED_SETTLE_SECONDS"
SETTLE_SECONDS = 120.0
# A request cut by a crash of this process (kill -9, power loss) is still carried out by
# Postiz if it had arrived: it lands within moments. Its posts are awaited this long
# (at most the settle time) after the state file's last write before the crash.
CRASH_SETTLE_SECONDS = 10.0


def settle_seconds() -> float:
    try:
        return max(0.0, float(os.environ.get(SETTLE_ENV) or SETTLE_SECONDS))
    except ValueError:
        raise UserError(f"{SETTLE_ENV}={os.environ[SETTLE_ENV]!r} is not a number of seconds",
                        hint=f"unset it to use the default ({SETTLE_SECONDS:.0f} s)") from None


@dataclass(frozen=True)
class IntentEntry:
    """One post in a journaled request."""

    address: str
    channel_id: str
    at: str  # UTC, as sent
    caption_digest: str
    provider: str = ""
    post_id: str | None = None  # an edit: the post keeps its id
    content: str = ""
    record: Record | None = None  # what was sent, as the state records "applied"

    def as_dict(self) -> dict:
        data: dict[str, Any] = {
            "address": self.address, "channel_id": self.channel_id, "provider": self.provider,
            "post_id": self.post_id, "at": self.at, "caption_digest": self.caption_digest,
            "content": self.content}
        if self.record is not None:
            data["record"] = self.record.as_dict()
        return data

    @classmethod
    def from_dict(cls, data: dict) -> IntentEntry:
        return cls(address=data["address"], channel_id=data["channel_id"], at=data["at"],
                   caption_digest=data["caption_digest"], provider=data.get("provider") or "",
                   post_id=data.get("post_id"), content=data.get("content", ""),
                   record=Record.from_dict(data["record"]) if "record" in data else None)


@dataclass(frozen=True)
class Intent:
    """One counted request: its date, when it was sent, and the posts in it."""

    date: str
    entries: tuple[IntentEntry, ...]
    sent_at: str | None = None
    unanswered: bool = False  # sent, never answered: it may still land

    def as_dict(self) -> dict:
        data: dict = {"date": self.date, "entries": [e.as_dict() for e in self.entries]}
        if self.sent_at is not None:
            data["sent_at"] = self.sent_at
        if self.unanswered:
            data["unanswered"] = True
        return data

    @classmethod
    def from_dict(cls, data: dict) -> Intent:
        return cls(date=data["date"], entries=tuple(IntentEntry.from_dict(e) for e in data.get("entries", [])),
                   sent_at=data.get("sent_at"), unanswered=bool(data.get("unanswered")))

    def keeping(self, entries, *, unanswered: bool | None = None) -> Intent:
        return replace(self, entries=tuple(entries),
                       unanswered=self.unanswered if unanswered is None else unanswered)


def pending_addresses(journal: list[Intent]) -> set[str]:
    return {e.address for intent in journal for e in intent.entries}


def pending_times(journal: list[Intent]) -> list[datetime]:
    return [normalize.instant(e.at) for intent in journal for e in intent.entries]


@dataclass
class Landed:
    """A journaled create that did reach Postiz: the post to adopt."""

    entry: IntentEntry
    live: LivePost


@dataclass
class Resolution:
    landed: list[Landed] = field(default_factory=list)
    kept: list[Intent] = field(default_factory=list)  # still unresolved: the journal after this run's refresh
    notes: list[str] = field(default_factory=list)
    wait: float = 0.0  # seconds before the kept intents may be trusted as "never happened"


def resolve(journal: list[Intent], owned_addresses: set[str], find, *, now: datetime,
            settle: float, live_by_id: dict[str, LivePost] | None = None,
            last_save: datetime | None = None) -> Resolution:
    """Settle intents left by a crash or an unanswered request, by reading back.

    `find(entry) -> LivePost | None` looks a create's post up among the live posts
    (marker, or channel + instant + content), claiming what it returns. An edit keeps
    its post id: it landed when the post shows what the edit sent (`live_by_id`), and
    is then recorded as applied, so the tool's own edit is never taken for a dashboard
    edit; one that did not land is simply sent again by the diff.

    Waiting: a request sent and never answered may land up to `settle` seconds after it
    was sent. After a crash, requests went one at a time in journal order, so only the
    first one not found in Postiz can have been in flight: it is awaited a short while
    after `last_save` (the state's last write before the crash); the later ones were
    never sent.
    """
    out = Resolution()
    live_by_id = live_by_id or {}
    crash_window = True  # until the first crashed request with a post not found
    crash_settle = min(settle, CRASH_SETTLE_SECONDS)
    for intent in journal:
        young: list[IntentEntry] = []
        if intent.unanswered:
            limit = settle
            age = (now - normalize.instant(intent.sent_at)).total_seconds() if intent.sent_at else settle
        else:
            limit = crash_settle
            since = [normalize.instant(t) for t in (intent.sent_at,) if t] + ([last_save] if last_save else [])
            age = (now - max(since)).total_seconds() if since and crash_window else limit
        missing = False
        for entry in intent.entries:
            if entry.post_id:
                live = live_by_id.get(entry.post_id)
                if live is not None and entry.record is not None and _shows(live, entry.record):
                    out.landed.append(Landed(entry, live))
                    out.notes.append(f"{entry.address}: the interrupted edit did reach Postiz (post {live.id}); "
                                     "recorded, not re-sent")
                    continue
                missing = True
                if age < limit:
                    young.append(entry)
                    out.wait = max(out.wait, limit - age)
                continue
            if entry.address in owned_addresses:
                continue
            live = find(entry)
            if live is None:
                missing = True
                if age < limit:
                    young.append(entry)
                    out.wait = max(out.wait, limit - age)
                else:
                    out.notes.append(f"{entry.address}: the interrupted create did not reach Postiz; "
                                     "it will be created")
                continue
            out.landed.append(Landed(entry, live))
            out.notes.append(f"{entry.address}: the interrupted create did reach Postiz (post {live.id}); "
                             "adopted, not re-sent")
        if missing and not intent.unanswered:
            crash_window = False
        if young:
            out.kept.append(intent.keeping(young))
    return out


def _shows(live: LivePost, record: Record) -> bool:
    """Whether Postiz holds what an edit sent (settings only where the listing has them)."""
    if live.at != record.at or live.content != record.content:
        return False
    return live.settings is None or normalize.settings(live.settings) == record.settings
