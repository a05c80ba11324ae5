"""Plans that know each other: which channel slots other plans (and Postiz) already hold.

`plan -o plans/ep13.yaml` plans around the posts of the other plans in
`plans/` (and of `--avoid GLOB`, and with `--avoid-live` of the posts already
scheduled in Postiz): `Occupancy.claim` is the one question the cadence asks
for each candidate slot ("are these (channel, instant) pairs free?"), and it
answers with every plan's limits in mind:

- no two posts on one channel in the same minute;
- `max_per_day`: the new plan's cap counts every plan's posts on that channel
  that day (in the new plan's time zone), and a day another plan already fills
  to its own cap (in its time zone) takes nothing more;
- `min_gap`: no post closer than the new plan's gap to another plan's post on
  that channel, nor closer than that plan's own gap.

Channels are matched by ref (the name or id the plans write); with Postiz at
hand every ref is turned into its integration id, so a name in one plan and an
id in another meet, and live posts (listed by integration id) are matched too.
Nothing here prints: `report()` says what was avoided, the command shows it.
"""

from __future__ import annotations

import bisect
import glob
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from planner.cadence import Duration, localize
from planner.errors import Problem, UserError
from planner.fsutil import PLAN_MAX_BYTES
from planner.planfile import Plan, read_plan
from planner.planfiles import plan_files_in
from planner.reconcile.ownership import Marker
from planner.yamldoc import parse_yaml, read_text

log = logging.getLogger(__name__)

# Live posts that will never go out take no slot.
_LIVE_STATES_HELD = ("QUEUE", "PUBLISHED")
# Postiz is read in windows at least this long, doubling as the cadence reaches further.
_LIVE_CHUNK = timedelta(days=62)
_DAY = timedelta(hours=25)  # the longest local day (a fall-back day)


@dataclass(frozen=True)
class Limits:
    """One plan's cadence limits on each of its channels; days are counted in `timezone`."""

    timezone: ZoneInfo
    max_per_day: int | None = None
    min_gap: Duration | None = None

    def too_close(self, a: datetime, b: datetime) -> bool:
        """Whether two posts are closer than `min_gap` (a `1d` gap is a wall-clock day)."""
        if self.min_gap is None:
            return False
        first, last = sorted((a, b))
        return last < self.min_gap.add_to(first, self.timezone)

    def day_bounds(self, moment: datetime) -> tuple[datetime, datetime]:
        """[start, end) of the local day holding `moment`, in UTC."""
        day = moment.astimezone(self.timezone).date()
        return self._midnight(day), self._midnight(day + timedelta(days=1))

    def _midnight(self, day: date) -> datetime:
        return localize(datetime.combine(day, time()), self.timezone).astimezone(UTC)

    @property
    def reach(self) -> timedelta:
        """How far from an instant another post can still matter to these limits."""
        gap = self.min_gap
        return _DAY + (timedelta(days=gap.days, hours=gap.days, seconds=gap.seconds) if gap else timedelta(0))


def plan_limits(plan: Plan) -> Limits:
    return Limits(plan.timezone, plan.cadence.max_per_day, plan.cadence.min_gap)


@dataclass(frozen=True)
class _Held:
    at: datetime  # UTC
    source: int  # index into Occupancy.sources
    limits: Limits | None  # the holding plan's limits; None for a live post


class LiveSource(Protocol):
    """What Occupancy needs of a Postiz client: the two uncounted reads."""

    def list_channels(self) -> list[Any]: ...

    def list_posts(self, start: datetime, end: datetime) -> list[Any]: ...


@dataclass
class _Live:
    """Posts scheduled in Postiz, read (GET /posts, never counted) as the cadence reaches further."""

    client: LiveSource
    span: tuple[datetime, datetime] | None = None
    seen: set[str] = field(default_factory=set)

    def cover(self, start: datetime, end: datetime) -> list[Any]:
        """The posts of [start, end] not read before."""
        windows: list[tuple[datetime, datetime]] = []
        if self.span is None:
            self.span = (start, max(end, start + _LIVE_CHUNK))
            windows.append(self.span)
        else:
            first, last = self.span
            if start < first:
                windows.append((start, first))
                first = start
            if end > last:
                grown = max(end, last + max(_LIVE_CHUNK, last - first))  # few reads over a long plan
                windows.append((last, grown))
                last = grown
            self.span = (first, last)
        fresh = []
        for a, b in windows:
            for post in self.client.list_posts(a, b):
                if post.id not in self.seen:
                    self.seen.add(post.id)
                    fresh.append(post)
        return fresh


class Occupancy:
    """The slots held on each channel by other plans (loaded up front) and by Postiz
    (read lazily), and the new plan's own picks; `claim` answers for the cadence.

    Call `add_live` (if at all) before `add_plan` and `skip_own`: it decides how
    channels are keyed (integration ids)."""

    def __init__(self) -> None:
        self.sources: list[str] = []  # what holds slots, as shown to the user
        self.limits = Limits(ZoneInfo("UTC"))  # the new plan's: set by for_plan()
        self._reach = _DAY  # the farthest any limits look (see Limits.reach)
        self._held: dict[str, list[_Held]] = {}
        self._held_at: dict[str, list[datetime]] = {}  # same order, for bisect
        self._own: dict[str, list[datetime]] = {}
        self._avoided: dict[tuple[int, str], int] = {}
        self._resolve: Callable[[str], str | None] = lambda ref: ref
        self._keys: dict[str, str] = {}
        self._unknown: dict[str, None] = {}  # the new plan's refs Postiz does not know, in order
        self._live: _Live | None = None
        self._live_source = -1
        self._plan_ids: set[str] = set()  # plans whose posts come from their file, not Postiz
        self._own_live: set[tuple[str, datetime]] = set()  # the plan being re-made, as applied

    # -- what holds slots ------------------------------------------------------------

    def add_live(self, client: LiveSource, *, shown: str = "Postiz") -> None:
        """Also avoid the posts scheduled in Postiz; channel refs become integration ids."""
        self._resolve = _resolver(list(client.list_channels()))
        self.sources.append(shown)
        self._live_source = len(self.sources) - 1
        self._live = _Live(client)

    def add_plan(self, plan: Plan, shown: str) -> int:
        """Every post of `plan` holds its channel's minute; returns how many."""
        self.sources.append(shown)
        source, limits = len(self.sources) - 1, plan_limits(plan)
        self._reach = max(self._reach, limits.reach)
        if plan.id:
            self._plan_ids.add(plan.id)
        count = 0
        for target in plan.targets():
            self._hold(self.key(target.channel_ref), _Held(target.at.astimezone(UTC), source, limits))
            count += 1
        return count

    def skip_own(self, plan: Plan) -> None:
        """The plan being re-made (the file -o overwrites): its posts in Postiz are not someone else's."""
        if plan.id:
            self._plan_ids.add(plan.id)
        for target in plan.targets():
            self._own_live.add((self.key(target.channel_ref), _minute(target.at)))

    def key(self, ref: str) -> str:
        """The channel a ref names: its integration id when Postiz was asked, else the ref."""
        if ref not in self._keys:
            self._keys[ref] = self._resolve(ref) or ref
        return self._keys[ref]

    def _hold(self, key: str, held: _Held) -> None:
        ats = self._held_at.setdefault(key, [])
        i = bisect.bisect_right(ats, held.at)
        ats.insert(i, held.at)
        self._held.setdefault(key, []).insert(i, held)

    def _read_live(self, start: datetime, end: datetime) -> None:
        if self._live is None:
            return
        for post in self._live.cover(start, end):
            if post.state not in _LIVE_STATES_HELD:
                continue
            marker = Marker.parse(post.marker)
            if marker is not None and marker.plan_id in self._plan_ids:  # its plan file says where it goes
                continue
            channel, at = post.integration_id, post.at.astimezone(UTC)
            if (channel, _minute(at)) in self._own_live or self._same_minute(channel, at):
                continue  # the plan's own post, or one a plan file holds already (no marker listed)
            self._hold(channel, _Held(at, self._live_source, None))

    def _same_minute(self, key: str, at: datetime) -> bool:
        return any(_minute(h.at) == _minute(at) for h in self._near(key, at, timedelta(minutes=1)))

    # -- the question the cadence asks ----------------------------------------------------

    def for_plan(self, limits: Limits) -> Occupancy:
        """These slots, seen by a new plan with `limits`."""
        self.limits = limits
        self._reach = max(self._reach, limits.reach)
        return self

    def claim(self, times: list[tuple[str, datetime]]) -> bool:
        """Take these (channel ref, instant) pairs if every one is free, else count who holds them."""
        blocked: set[tuple[int, str]] = set()
        for ref, moment in times:
            key = self.key(ref)
            if self._live is not None and key == ref and self._resolve(ref) is None:
                self._unknown[ref] = None
            blocked |= {(s, ref) for s in self._blockers(key, moment.astimezone(UTC))}
        if blocked:
            for item in blocked:
                self._avoided[item] = self._avoided.get(item, 0) + 1
            return False
        for ref, moment in times:
            bisect.insort(self._own.setdefault(self.key(ref), []), moment.astimezone(UTC))
        return True

    def _near(self, key: str, at: datetime, reach: timedelta) -> list[_Held]:
        ats = self._held_at.get(key, [])
        return self._held.get(key, [])[bisect.bisect_left(ats, at - reach):bisect.bisect_right(ats, at + reach)]

    def _blockers(self, key: str, at: datetime) -> set[int]:
        reach = self._reach
        self._read_live(at - reach, at + reach)
        near = self._near(key, at, reach)
        if not near:
            return set()
        blockers = {h.source for h in near if _minute(h.at) == _minute(at)
                    or self.limits.too_close(h.at, at) or (h.limits is not None and h.limits.too_close(h.at, at))}
        own = self._own.get(key, [])
        for limits in {self.limits} | {h.limits for h in near if h.limits is not None}:
            if limits.max_per_day is None:
                continue
            start, end = limits.day_bounds(at)
            that_day = [h for h in near if start <= h.at < end]
            # Another plan's cap binds only the days it posts on that channel.
            concerned = that_day if limits is self.limits else [h for h in that_day if h.limits == limits]
            if not concerned:
                continue
            mine = bisect.bisect_left(own, end) - bisect.bisect_left(own, start)
            if len(that_day) + mine >= limits.max_per_day:
                blockers |= {h.source for h in concerned}
        return blockers

    # -- what the user is told ---------------------------------------------------------

    def report(self) -> list[str]:
        """One line per source and channel that took slots from the new plan (and refs
        Postiz does not know), in a stable order."""
        lines = [f"avoided {n} slot{'s' if n != 1 else ''} taken by {self.sources[s]} on {ref}"
                 for (s, ref), n in sorted(self._avoided.items())]
        lines += [f"channel {ref!r} is not in Postiz: its live posts there could not be avoided"
                  for ref in self._unknown]
        return lines


def _minute(at: datetime) -> datetime:
    return at.astimezone(UTC).replace(second=0, microsecond=0)


def _resolver(channels: list[Any]) -> Callable[[str], str | None]:
    """ref -> integration id: an id, else a name only one channel has (exact, then any case)."""
    by_id = {c.id for c in channels}

    def resolve(ref: str) -> str | None:
        if ref in by_id:
            return ref
        for same in (lambda c: c.name == ref, lambda c: c.name.casefold() == ref.casefold()):
            found = [c.id for c in channels if same(c)]
            if found:
                return found[0] if len(found) == 1 else None
        return None

    return resolve


# -- finding the other plans ----------------------------------------------------------------


def neighbours(plan_file: Path) -> list[Path]:
    """The other plan files in `plan_file`'s folder."""
    return plan_files_in(plan_file.parent, but=plan_file)


def expand_avoid(patterns: Iterable[str], plan_file: Path | None) -> list[Path]:
    """The plan files `--avoid GLOB` names (a folder: the plan files directly in it), each once."""
    found: dict[Path, Path] = {}
    own = plan_file.resolve() if plan_file is not None else None
    for pattern in patterns:
        matches = sorted(glob.glob(pattern, recursive=True))
        if not matches:
            raise UserError(f"--avoid {pattern}: no such plan file or folder",
                            hint="give plan files, folders of them or a glob, e.g. --avoid 'campaigns/*.yaml'")
        for match in map(Path, matches):
            for path in plan_files_in(match, but=plan_file) if match.is_dir() else [match]:
                if path.resolve() != own:
                    found.setdefault(path.resolve(), path)
    return list(found.values())


def load_others(paths: Iterable[Path], *, explicit: bool) -> tuple[list[tuple[Plan, str]], list[str]]:
    """(plan, path as shown) of each plan file in `paths`, and warnings. A YAML file that is
    not a plan (a rules file beside the plans) is passed over; a plan that does not load is a
    warning (its posts cannot be avoided), or an error when the user named it (`explicit`)."""
    plans: list[tuple[Plan, str]] = []
    warnings: list[str] = []
    for path in paths:
        plan, problems = read_plan(path)
        errors = [p for p in problems if p.severity == "error"]
        if plan is not None and not errors:
            plans.append((plan, str(path)))
            continue
        if not _looks_like_a_plan(path):  # e.g. the rules file kept beside the plans
            log.debug("%s is not a plan file: not avoided", path)
            continue
        if explicit:
            raise UserError(problems=errors + [Problem(
                "this plan could not be read, so its posts cannot be avoided", file=str(path),
                hint="fix it (`cliper-sched validate` says how), or leave it out of --avoid")])
        first = (errors or problems)[0].render().splitlines()[0] if (errors or problems) else "unreadable"
        warnings.append(f"{path} is not a valid plan ({first}): its posts are not avoided; "
                        f"`cliper-sched validate {path}` says what to fix")
    return plans, warnings


def _looks_like_a_plan(path: Path) -> bool:
    """Whether a file that is not a valid plan was meant to be one: a YAML mapping with
    `posts`, or no YAML at all (a rules file beside the plans is a mapping without posts)."""
    text, _ = read_text(path, str(path), cap=PLAN_MAX_BYTES, what="the file")
    if text is None:
        return True
    doc, _ = parse_yaml(text, str(path))
    return doc is None or (isinstance(doc.data, dict) and "posts" in doc.data)


def gather(plan_file: Path | None, *, avoid: Iterable[str] = (), folder: bool = True,
           live: LiveSource | None = None, nearby: Iterable[Path] = ()) -> tuple[Occupancy | None, list[str]]:
    """What a plan written to `plan_file` must keep clear of: the other plans in its folder
    (unless `folder` is False) or `nearby`, the plans `avoid` names and, with `live`, the
    posts scheduled in Postiz. None when there is nothing to avoid; and warnings (a broken
    plan nearby is a warning; one named by `avoid`, an error)."""
    occupancy = Occupancy()
    if live is not None:
        occupancy.add_live(live)
    around = neighbours(plan_file) if folder and plan_file is not None else list(nearby)
    loaded, warnings = load_others(around, explicit=False)
    named, _ = load_others(expand_avoid(avoid, plan_file), explicit=True)
    seen: set[Path] = set()
    for plan, shown in loaded + named:
        if plan.path.resolve() not in seen:
            seen.add(plan.path.resolve())
            occupancy.add_plan(plan, shown)
    if live is not None and plan_file is not None and plan_file.is_file():
        own, _ = read_plan(plan_file)
        if own is not None:
            occupancy.skip_own(own)
    return (occupancy if occupancy.sources else None), warnings
