"""Ownership: pair each address with its state entry and its live post.

A live post belongs to the plan when the state names its id, when its settings
carry our marker (`cliper_sched: "<plan>/<address>"`), or (where the server
lists no settings, v2.23.0, or when rebuilding a lost state) when channel,
instant and stored content all match a desired post. Anything else is never
touched. The crash journal (journal.py) finds its posts with the same Matcher.
"""

from __future__ import annotations

from dataclasses import dataclass

from planner.postiz.models import LivePost
from planner.reconcile import normalize
from planner.reconcile.desired import DesiredPost
from planner.reconcile.records import Record
from planner.reconcile.state import Owned, State


@dataclass
class Entry:
    address: str
    desired: DesiredPost | None
    owned: Owned | None
    live: LivePost | None
    adopted: str | None = None  # "marker" | "content" | "time" when ownership was just established


def _content_key(channel_id: str, record_at, content: str) -> tuple:
    return (channel_id, normalize.instant(record_at), content)


class Matcher:
    """Finds unclaimed live posts by marker or by channel + instant + content."""

    def __init__(self, plan_name: str, lives: list[LivePost], claimed: set[str]):
        self.plan_name = plan_name
        self.claimed = claimed
        self.by_marker: dict[str, LivePost] = {}
        self.by_content: dict[tuple, list[LivePost]] = {}
        self.by_slot: dict[tuple, list[LivePost]] = {}
        for live in lives:
            mark = live.marker
            if mark and mark.startswith(plan_name + "/"):
                self.by_marker.setdefault(mark[len(plan_name) + 1 :], live)
            self.by_content.setdefault(_content_key(live.channel_id, live.at, live.content), []).append(live)
            self.by_slot.setdefault((live.channel_id, live.at), []).append(live)

    def find(self, address: str, channel_id: str, at, content: str, *, by_content: bool,
             by_time: bool = False) -> tuple[LivePost | None, str | None]:
        live = self.by_marker.get(address)
        if live is not None and live.id not in self.claimed and live.channel_id == channel_id:
            self.claimed.add(live.id)
            return live, "marker"
        if by_content:
            for candidate in self.by_content.get(_content_key(channel_id, at, content), []):
                # A post marked for another address or plan is not ours to take.
                if candidate.id not in self.claimed and candidate.marker in (None, normalize.marker(self.plan_name, address)):
                    self.claimed.add(candidate.id)
                    return candidate, "content"
        if by_time:
            # Asked for explicitly (`import --match-time`): the caption was edited in the
            # dashboard and the server lists no marker. Only an unambiguous, unmarked post.
            ours = normalize.marker(self.plan_name, address)
            slot = [c for c in self.by_slot.get((channel_id, normalize.instant(at)), [])
                    if c.id not in self.claimed and c.marker in (None, ours)]
            if len(slot) == 1:
                self.claimed.add(slot[0].id)
                return slot[0], "time"
        return None, None

    def marked_leftovers(self) -> dict[str, LivePost]:
        return {a: lv for a, lv in self.by_marker.items() if lv.id not in self.claimed}


def owned_from_live(live: LivePost, desired: DesiredPost | None) -> Owned:
    """State for a post adopted without a record of what we applied.

    With a planned post, what we applied is taken to be the plan's value: where Postiz
    differs (a dashboard edit made while the state was lost), the diff then shows drift,
    kept unless --overwrite-drift, instead of an update that would silently revert it.
    Without one (marked, gone from the plan), Postiz's values stand."""
    if desired is not None:
        applied = desired.record
    else:
        applied = Record(at=live.at, content=live.content, settings=normalize.settings(live.settings))
    digest = desired.caption_digest if desired and desired.record.content == live.content else None
    return Owned.from_live(live, applied, caption_digest=digest)


def match(
    plan_name: str,
    desired: list[DesiredPost],
    state: State,
    lives: list[LivePost],
    *,
    by_content: bool,
    by_time: bool = False,
) -> list[Entry]:
    """One entry per address the plan wants or owns, with its live post if any."""
    live_by_id = {lv.id: lv for lv in lives}
    claimed = {o.post_id for o in state.posts.values()}
    matcher = Matcher(plan_name, lives, claimed)
    entries: dict[str, Entry] = {}
    for d in desired:
        owned = state.posts.get(d.address)
        if owned is not None:
            entries[d.address] = Entry(d.address, d, owned, live_by_id.get(owned.post_id))
            continue
        live, how = matcher.find(d.address, d.channel.id, d.record.at, d.record.content, by_content=by_content,
                                 by_time=by_time)
        if live is not None:
            entries[d.address] = Entry(d.address, d, owned_from_live(live, d), live, adopted=how)
        else:
            entries[d.address] = Entry(d.address, d, None, None)
    for address, owned in state.posts.items():
        if address not in entries:
            entries[address] = Entry(address, None, owned, live_by_id.get(owned.post_id))
    # Marked as ours but unknown to the state and gone from the plan (e.g. a lost state).
    for address, live in matcher.marked_leftovers().items():
        if address not in entries:
            entries[address] = Entry(address, None, owned_from_live(live, None), live, adopted="marker")
    return [entries[a] for a in sorted(entries)]
