"""What became of each planned post after apply: its fate, read from Postiz.

One `PostFate` per address of a plan's Review (adopt.Entry pairs the address with
its live post, on proof: our marker or a signed state entry):

- scheduled   live, not published, at the time last applied;
- moved       live, not published, at another time (a dashboard drag or edit);
- published   Postiz state PUBLISHED, with its `releaseURL`;
- failed      Postiz state ERROR;
- draft       a Postiz draft (the plan's `status: draft`, or set to draft in the
              dashboard): Postiz will not publish it;
- deleted     the plan owns it (marker or signed state) but Postiz no longer lists it;
- not_applied planned, never created (apply has not run since it was added).

Postiz keeps why a post failed in its own database only: `GET /posts` never lists
the reason (docs/postiz-api.md §7.2, §16), on v2.23.0 or main. So a failure is
reported as such, and its hint rests on what the API does show: whether the
channel is disabled (`GET /integrations`), else the dashboard, where the reason is.
Reads only; nothing here talks to a server or a terminal.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, tzinfo

from planner.postiz.models import Channel
from planner.reconcile.adopt import Entry

# In the order a summary line lists them.
FATES = ("scheduled", "published", "failed", "deleted", "moved", "draft", "not_applied")
FATE_WORDS = {
    "scheduled": "scheduled",
    "published": "published",
    "failed": "failed",
    "deleted": "deleted in the dashboard",
    "moved": "moved",
    "draft": "set to draft",
    "not_applied": "not yet applied",
}

REASON_UNLISTED = "Postiz does not list why (its API keeps the reason to the dashboard)"
HINT_DISABLED = ("the channel {name!r} is disabled in Postiz: enable it there (channel menu → Enable Channel), "
                 "then reschedule the post (drag it to a future time in the calendar)")
HINT_DASHBOARD = ("open the post in the Postiz dashboard to read the reason; usually the channel needs "
                  "reconnecting (channel menu → Reconnect channel) or the network refused the media (fix the "
                  "clip); then reschedule it there")


@dataclass(frozen=True)
class PostFate:
    address: str
    fate: str  # one of FATES
    channel: str  # the channel's name in Postiz
    planned_at: datetime | None  # what the plan says now (None: no longer in the plan)
    at: datetime | None  # where Postiz has it (None: not in Postiz)
    post_id: str | None = None
    state: str | None = None  # Postiz's state, as listed
    url: str | None = None  # releaseURL of a published post
    reason: str | None = None  # why it failed, when Postiz says (it never lists it: REASON_UNLISTED)
    hint: str | None = None  # what to do about it
    notes: tuple[str, ...] = ()

    @property
    def when(self) -> datetime | None:
        return self.at or self.planned_at


@dataclass
class PlanStatus:
    name: str
    file: str
    posts: list[PostFate]
    notes: list[str] = field(default_factory=list)
    timezone: tzinfo | None = None  # the plan's: times are shown in it

    @property
    def counts(self) -> dict[str, int]:
        found = Counter(p.fate for p in self.posts)
        return {fate: found.get(fate, 0) for fate in FATES}

    @property
    def failed(self) -> int:
        return self.counts["failed"]


def summary(name: str, counts: dict[str, int]) -> str:
    """`ep12: 10 scheduled, 3 published, 1 failed, 1 deleted in the dashboard, 1 moved`."""
    parts = [f"{counts[f]} {FATE_WORDS[f]}" for f in FATES if counts.get(f)]
    return f"{name}: {', '.join(parts) if parts else 'no posts'}"


def total(plans: list[PlanStatus]) -> dict[str, int]:
    out = dict.fromkeys(FATES, 0)
    for p in plans:
        for fate, n in p.counts.items():
            out[fate] += n
    return out


def classify(entries: list[Entry], channels: dict[str, Channel], *, now: datetime) -> list[PostFate]:
    """The fate of every address the plan wants or owns, earliest first. `now` is the
    server's clock: a queued post past its time is one Postiz has not published."""
    by_id = {c.id: c for c in channels.values()}
    out = [_fate(e, by_id, now) for e in entries if e.desired is not None or e.owned is not None]
    return sorted(out, key=lambda f: (f.when is None, f.when or now, f.address))


def _fate(e: Entry, channels: dict[str, Channel], now: datetime) -> PostFate:
    d, o, lv = e.desired, e.owned, e.live
    planned = d.record.at if d is not None else None
    channel = channels.get(_channel_id(e))
    name = channel.name if channel else (lv.channel_name if lv is not None else e.address.rsplit("@", 1)[1])
    notes: list[str] = []
    if d is None:
        notes.append("no longer in the plan: the next apply deletes it unless it is published")
    if lv is None:
        if o is not None:
            return PostFate(e.address, "deleted", name, planned, None, post_id=o.post_id,
                            notes=(*notes, "the next apply leaves it deleted; `apply --overwrite-drift` "
                                   "creates it again"))
        if e.unproven is not None:
            notes.append(f"post {e.unproven.id} sits at its channel and time without this plan's marker: "
                         "`cliper-sched diff` says what to do")
        return PostFate(e.address, "not_applied", name, planned, None, notes=tuple(notes))

    def seen(fate: str, **more) -> PostFate:  # as Postiz lists it
        return PostFate(e.address, fate, name, planned, lv.at, post_id=lv.id, state=lv.state, **more)

    if lv.published:
        return seen("published", url=lv.release_url, notes=tuple(notes))
    if lv.state == "ERROR":
        hint = HINT_DISABLED.format(name=name) if channel is not None and channel.disabled else HINT_DASHBOARD
        return seen("failed", reason=REASON_UNLISTED, hint=hint, notes=tuple(notes))
    wanted = d.record.status if d is not None else None
    if lv.state == "DRAFT":
        if wanted == "draft":
            return seen("draft", notes=(*notes, "a draft, as the plan says: Postiz will not publish it"))
        if wanted == "schedule" and o is not None and o.applied.status == "draft":
            notes.append("the plan schedules it now: run `cliper-sched apply` (not counted)")
        else:
            notes.append("Postiz will not publish it until it is scheduled again in the dashboard")
        return seen("draft", notes=tuple(notes))
    if wanted == "draft" and o is not None and o.applied.status == "draft":
        notes.append("applied as a draft, scheduled in the dashboard since: Postiz will publish it "
                     "(`cliper-sched apply --overwrite-drift` makes it a draft again)")
    elif wanted == "draft":
        notes.append("the plan makes it a draft: run `cliper-sched apply` (not counted)")
    applied = o.applied.at if o is not None else planned
    if applied is not None and lv.at != applied:
        return seen("moved", notes=tuple(notes))
    if planned is not None and lv.at != planned:
        notes.append("the plan gives it another time: run `cliper-sched apply` to move it")
    if lv.at <= now:
        notes.append("its time has passed and Postiz has not published it yet (is Postiz's publishing "
                     "worker, Temporal, running?)")
    if channel is not None and channel.disabled:
        notes.append(f"the channel {name!r} is disabled in Postiz: the post will fail unless it is enabled")
    return seen("scheduled", notes=tuple(notes))


def _channel_id(e: Entry) -> str:
    if e.live is not None:
        return e.live.channel_id
    if e.owned is not None:
        return e.owned.channel_id
    assert e.desired is not None, "classify skips entries neither planned nor owned"
    return e.desired.channel.id
