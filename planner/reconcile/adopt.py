"""Ownership: pair each address with its live post, on proof only.

A live post belongs to the plan when (ownership.py):

- its settings carry our marker (plan id + address): current Postiz lists them;
- or a signed state entry names it, and Postiz does not contradict that (the post
  carries no marker of another plan or address): v2.23.0 lists no settings;
- or, rebuilding ownership (`import`, or a server that lists no settings), its
  channel, instant and stored content all equal a desired post; `import
  --match-time` also takes the single unmarked post at the slot.

Anything else is never touched. A post without our marker at a channel + instant
where the plan has a post it cannot find is reported and blocks the create: it is
never duplicated, never overwritten (`Entry.unproven`). Two live posts carrying one
marker are duplicates (two applies racing): the first is kept, the others listed
(`Entry.duplicates`) for the diff to delete. The crash journal (journal.py) finds
its posts with the same Matcher.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from planner.postiz.models import LivePost
from planner.reconcile import normalize, ownership
from planner.reconcile.desired import DesiredPost
from planner.reconcile.ownership import Marker
from planner.reconcile.records import Record, status_of_state
from planner.reconcile.state import Owned, State


@dataclass
class Entry:
    address: str
    desired: DesiredPost | None
    owned: Owned | None
    live: LivePost | None
    # How ownership was established this run when it was not already known:
    # "content" | "time" | "legacy" (import), "marker" (found by marker, no cache entry).
    adopted: str | None = None
    duplicates: list[LivePost] = field(default_factory=list)  # same marker, not kept
    unproven: LivePost | None = None  # a post at this slot nothing proves is ours
    unproven_plan: str | None = None  # ...marked for this address by that other plan id
    marker: Marker | None = None  # the live post's marker, when it carries ours


def _content_key(channel_id: str, record_at, content: str) -> tuple:
    return (channel_id, normalize.instant(record_at), content)


class Matcher:
    """Finds unclaimed live posts by our marker or by channel + instant + content."""

    def __init__(self, plan_id: str, lives: list[LivePost], claimed: set[str], *, legacy_name: str | None = None):
        self.plan_id = plan_id
        self.claimed = claimed
        self.legacy_name = legacy_name
        self.by_marker: dict[str, list[LivePost]] = {}
        self.markers: dict[str, Marker] = {}  # post id -> its marker, when ours
        self.foreign: dict[str, Marker] = {}  # post id -> another plan's marker
        self.by_content: dict[tuple, list[LivePost]] = {}
        self.by_slot: dict[tuple, list[LivePost]] = {}
        for live in lives:
            mark = Marker.parse(live.marker)
            if mark is not None and mark.plan_id == plan_id:
                self.by_marker.setdefault(mark.address, []).append(live)
                self.markers[live.id] = mark
            elif mark is not None:
                self.foreign[live.id] = mark
            self.by_content.setdefault(_content_key(live.channel_id, live.at, live.content), []).append(live)
            self.by_slot.setdefault((live.channel_id, live.at), []).append(live)

    def marked(self, address: str) -> list[LivePost]:
        """Posts carrying our marker for `address`, the one to keep first."""
        return sorted(self.by_marker.get(address, []), key=lambda lv: (lv.published is False, lv.at, lv.id))

    def _free(self, live: LivePost, address: str) -> bool:
        """Unclaimed, and carrying no marker of ours for another address nor another plan's."""
        if live.id in self.claimed or live.id in self.foreign:
            return False
        mark = self.markers.get(live.id)
        return mark is None or mark.address == address

    def find(self, address: str, channel_id: str, at, content: str, *, by_content: bool,
             by_time: bool = False) -> tuple[LivePost | None, str | None]:
        for live in self.marked(address):
            if live.id not in self.claimed and live.channel_id == channel_id:
                self.claimed.add(live.id)
                return live, "marker"
        if self.legacy_name is not None:
            legacy = f"{self.legacy_name}/{address}"  # markers written before plan ids (import only)
            for live in self.by_slot.get((channel_id, normalize.instant(at)), []):
                if live.marker == legacy and live.id not in self.claimed:
                    self.claimed.add(live.id)
                    return live, "legacy"
        if by_content:
            for candidate in self.by_content.get(_content_key(channel_id, at, content), []):
                if self._free(candidate, address):
                    self.claimed.add(candidate.id)
                    return candidate, "content"
        if by_time:
            # Asked for explicitly (`import --match-time`): the caption was edited in the
            # dashboard and the server lists no marker. Only an unambiguous post.
            slot = [c for c in self.by_slot.get((channel_id, normalize.instant(at)), []) if self._free(c, address)]
            if len(slot) == 1:
                self.claimed.add(slot[0].id)
                return slot[0], "time"
        return None, None

    def occupant(self, channel_id: str, at, address: str) -> LivePost | None:
        """An unclaimed post at this slot that nothing proves is ours: one without any
        marker, or one of another plan with this very address (most likely this plan,
        made again without its id: `plan > FILE` empties FILE before it is read)."""
        for live in self.by_slot.get((channel_id, normalize.instant(at)), []):
            if live.id in self.claimed or live.id in self.markers:
                continue
            other = self.foreign.get(live.id)
            if other is None or other.address == address:
                return live
        return None


def live_fields(live: LivePost, base: Record | None) -> Record:
    """A live post as a Record; what the listing omits (media; settings on v2.23.0) from `base`."""
    media = base.media if base else ()
    settings = normalize.settings(live.settings) if live.settings is not None else (base.settings if base else {})
    return Record(at=live.at, content=live.content, media=media, settings=settings,
                  status=status_of_state(live.state))


def owned_from_marker(live: LivePost, mark: Marker, desired: DesiredPost | None) -> Owned:
    """What we last applied to a marked post, when no state entry says it in full.

    Listed fields equal to the marker's fingerprint are what we applied (so a plan
    that differs is a plan change, applied); otherwise the dashboard changed the post
    since, and the plan's values stand in as "applied" so the diff reports drift."""
    media = tuple(desired.record.media) if desired else ()
    if ownership.media_fingerprint(media) != mark.media:
        media = (ownership.UNKNOWN_MEDIA,)
    if mark.describes(live.at, live.content, live.settings, status_of_state(live.state)):
        applied = live_fields(live, None).replace(media=media)
        digest = desired.caption_digest if desired and desired.record.content == live.content else None
    elif desired is not None:
        applied = desired.record.replace(media=media)
        digest = desired.caption_digest
    else:
        applied = live_fields(live, None).replace(media=media)
        digest = None
    return Owned.from_live(live, applied, caption_digest=digest, fingerprint=mark.fingerprint)


def owned_from_match(live: LivePost, desired: DesiredPost | None, how: str) -> Owned:
    """Ownership established by matching (import, or no listed settings), with no record
    of what was applied: the plan's values stand in for it. By content, the post equals
    the plan's anyway; by time or an older marker, Postiz's values may be a dashboard
    edit or the plan may have changed, and nothing can tell which: the diff reports
    drift, and the user chooses (`pull`, or `apply --overwrite-drift`), never a guess."""
    if desired is not None:
        digest = desired.caption_digest if desired.record.content == live.content else None
        return Owned.from_live(live, desired.record, caption_digest=digest)
    return Owned.from_live(live, live_fields(live, None), caption_digest=None)


def _cached(owned: Owned, live: LivePost | None, mark: Marker | None) -> bool:
    """A signed state entry agrees with Postiz: same post, and (when the post carries our
    marker) the same last-applied fingerprint. Otherwise another machine applied since."""
    if live is None or live.id != owned.post_id:
        return False
    return mark is None or owned.fingerprint == mark.fingerprint


def match(plan_id: str, desired: list[DesiredPost], state: State, lives: list[LivePost], *,
          by_content: bool, by_time: bool = False, legacy_name: str | None = None) -> tuple[list[Entry], list[str]]:
    """One entry per address the plan wants or owns, with its live post if any, and the
    notes on state entries Postiz contradicts (dropped)."""
    live_by_id = {lv.id: lv for lv in lives}
    matcher = Matcher(plan_id, lives, set(), legacy_name=legacy_name)
    notes: list[str] = []
    entries: dict[str, Entry] = {}
    wanted = {d.address: d for d in desired}

    # 1. Our marker: the proof on servers that list settings.
    for address in sorted(set(matcher.by_marker)):
        found = matcher.marked(address)
        cached = state.posts.get(address)
        if cached is not None:  # the post the cache knows is the one to keep, if it is there
            found.sort(key=lambda lv: lv.id != cached.post_id)
        keep, extra = found[0], found[1:]
        d = wanted.get(address)
        matcher.claimed.update(lv.id for lv in found)
        mark = matcher.markers[keep.id]
        if cached is not None and _cached(cached, keep, mark):
            owned, adopted = cached, None
        else:
            owned, adopted = owned_from_marker(keep, mark, d), "marker"
        entries[address] = Entry(address, d, owned, keep, adopted=adopted, duplicates=extra, marker=mark)

    # 2. Signed state entries for posts without our marker (v2.23.0 lists none; a
    #    dashboard duplicate or another client may have dropped it on main).
    for address, owned in sorted(state.posts.items()):
        if address in entries:
            continue
        live = live_by_id.get(owned.post_id)
        if live is None:  # ours (signed), and gone from Postiz
            entries[address] = Entry(address, wanted.get(address), owned, None)
            continue
        if live.id in matcher.foreign or live.id in matcher.claimed:
            notes.append(f"{address}: the state file names post {live.id}, which carries another plan's or "
                         "address's marker in Postiz: entry dropped")
            continue
        matcher.claimed.add(live.id)
        entries[address] = Entry(address, wanted.get(address), owned, live)

    # 3. Desired posts still without a post: match (import / no listed settings), or create.
    for d in desired:
        if d.address in entries:
            continue
        live, how = matcher.find(d.address, d.channel.id, d.record.at, d.record.content, by_content=by_content,
                                 by_time=by_time)
        if live is not None:
            entries[d.address] = Entry(d.address, d, owned_from_match(live, d, how or "content"), live, adopted=how)
            continue
        occupant = matcher.occupant(d.channel.id, d.record.at, d.address)
        entries[d.address] = Entry(d.address, d, None, None, unproven=occupant,
                                   unproven_plan=matcher.foreign[occupant.id].plan_id
                                   if occupant is not None and occupant.id in matcher.foreign else None)
    return [entries[a] for a in sorted(entries)], notes
