"""When posts go out: intervals, weekly slots, blackout dates, daily caps.

Times are computed in the plan's IANA time zone. Weekly slots and whole-day
intervals (`d`, `w`) keep their wall-clock time across DST changes (09:00 stays
09:00); minute and hour intervals (`m`, `h`) are elapsed time (a 4h interval
is always 4 real hours apart). A wall-clock time that does not exist (inside a
spring-forward gap, e.g. 02:30 when clocks jump from 02:00 to 03:00) moves
forward by the gap (03:30) on that day only: the next day is 02:30 again. If it
then falls on another slot of the same day, that slot is used once. An
ambiguous one (01:30 when clocks go back from 02:00 to 01:00) takes its first
occurrence (the summer-time one), so it is posted once, not twice.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from planner.errors import CliperError

if TYPE_CHECKING:
    from planner.window import ChannelWindow

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DURATION = re.compile(r"(\d+)\s*([mhdw])")
_MAX_DAYS_AHEAD = 366 * 20  # give up instead of looping forever on impossible rules


class CadenceError(CliperError, ValueError):
    """A cadence value in words a user understands (the caller adds where).

    A CliperError, so one that reaches the CLI unlocated is still said, not a traceback.
    """


@dataclass(frozen=True)
class Duration:
    """`1d2h` = 1 calendar day (wall clock) + 2 elapsed hours."""

    days: int = 0
    seconds: int = 0

    @property
    def is_zero(self) -> bool:
        return not self.days and not self.seconds

    def as_timedelta(self) -> timedelta:
        return timedelta(days=self.days, seconds=self.seconds)

    def add_to(self, moment: datetime, tz: ZoneInfo) -> datetime:
        if self.days:
            wall = moment.astimezone(tz).replace(tzinfo=None) + timedelta(days=self.days)
            moment = localize(wall, tz)
        return (moment.astimezone(UTC) + timedelta(seconds=self.seconds)).astimezone(tz)


def parse_duration(text: str, *, allow_negative: bool = False) -> Duration:
    """'4h', '90m', '1d', '2w', '1h30m' (and '-15m' where negative is allowed)."""
    raw = str(text).strip().lower()
    sign = 1
    if allow_negative and raw.startswith("-"):
        sign, raw = -1, raw[1:].strip()
    parts = _DURATION.findall(raw)
    if not raw or not parts or _DURATION.sub("", raw).strip():
        raise CadenceError(f"{text!r} is not a duration; write a number and a unit: "
                           "m (minutes), h (hours), d (days), w (weeks), e.g. 4h, 90m, 1d")
    days = seconds = 0
    for number, unit in parts:
        n = int(number)
        if unit == "m":
            seconds += n * 60
        elif unit == "h":
            seconds += n * 3600
        elif unit == "d":
            days += n
        else:
            days += 7 * n
    return Duration(sign * days, sign * seconds)


def load_zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(str(name))
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
        raise CadenceError(f"unknown time zone {name!r}; use an IANA name such as "
                           "America/Mexico_City, Europe/Madrid or UTC") from exc


def localize(wall: datetime, tz: ZoneInfo) -> datetime:
    """Naive wall-clock time -> aware time in `tz` (gap: moved forward, fold: first)."""
    return wall.replace(tzinfo=tz, fold=0).astimezone(UTC).astimezone(tz)


def start_wall_clock(text: str, tz: ZoneInfo) -> datetime:
    """The start as a naive wall-clock time in `tz`, before any DST adjustment."""
    try:
        value = datetime.fromisoformat(str(text).strip())
    except ValueError as exc:
        raise CadenceError(f"{text!r} is not a date and time; write it as 'YYYY-MM-DD HH:MM', "
                           "e.g. '2026-12-01 09:00'") from exc
    return value if value.tzinfo is None else value.astimezone(tz).replace(tzinfo=None)


def parse_start(text: str, tz: ZoneInfo) -> datetime:
    """'2026-12-01 09:00' (wall clock in `tz`) or with an explicit offset."""
    value = datetime.fromisoformat(str(text).strip()) if _has_offset(text) else None
    return value.astimezone(tz) if value is not None else localize(start_wall_clock(text, tz), tz)


def _has_offset(text: str) -> bool:
    try:
        return datetime.fromisoformat(str(text).strip()).tzinfo is not None
    except ValueError:
        return False


def parse_clock(text: str) -> time:
    m = re.fullmatch(r"([01]?\d|2[0-3]):([0-5]\d)", str(text).strip())
    if not m:
        raise CadenceError(f"{text!r} is not a time of day; write it as HH:MM (24-hour), e.g. '09:00'")
    return time(int(m.group(1)), int(m.group(2)))


def parse_blackout(entry: str) -> tuple[date, date]:
    """'2026-12-24' or a range '2026-12-24..2026-12-26' (both ends included)."""
    text = str(entry).strip()
    first, _, last = text.partition("..")
    try:
        a = date.fromisoformat(first.strip())
        b = date.fromisoformat(last.strip()) if last else a
    except ValueError as exc:
        raise CadenceError(f"{entry!r} is not a date or a range; write 'YYYY-MM-DD' "
                           "or 'YYYY-MM-DD..YYYY-MM-DD'") from exc
    if b < a:
        raise CadenceError(f"{entry!r}: the range ends before it starts")
    return a, b


class SlotClaims(Protocol):
    """Slots held elsewhere (other plans, Postiz: planner.occupancy): `claim` takes the
    (channel, instant) pairs of one post if they are all free, else says no."""

    def claim(self, times: list[tuple[str, datetime]]) -> bool: ...


@dataclass
class Cadence:
    timezone: ZoneInfo
    start: datetime | None = None
    interval: Duration | None = None
    weekly: dict[int, list[time]] = field(default_factory=dict)  # weekday 0=Mon -> times
    max_per_day: int | None = None
    blackout: list[tuple[date, date]] = field(default_factory=list)
    offsets: dict[str, Duration] = field(default_factory=dict)
    # A start from a committed rules file is a lower bound (the file outlives its
    # date); a --start typed on the command line that is already past is a mistake.
    start_is_floor: bool = False
    # The start as the user wrote it on the wall clock (02:30 even if that day it is 03:30).
    start_wall: datetime | None = None
    # Posting windows (planner.window), one per channel that has one.
    windows: list[ChannelWindow] = field(default_factory=list)
    # Slots other plans hold (plans that know each other); None: this plan alone.
    occupancy: SlotClaims | None = None

    def is_blackout(self, day: date) -> bool:
        return any(a <= day <= b for a, b in self.blackout)

    def first_start(self, now: datetime) -> datetime:
        """The explicit start, or (interval mode) the next full hour after now."""
        if self.start is not None:
            return self.start
        if self.weekly and self.interval is None:
            return now.astimezone(self.timezone)
        local = now.astimezone(self.timezone).replace(minute=0, second=0, microsecond=0, tzinfo=None)
        return localize(local + timedelta(hours=1), self.timezone)

    def _candidates(self, start: datetime) -> Iterator[datetime]:
        from planner.window import allowed, next_allowed  # planner.window builds on this module

        tz = self.timezone
        if self.interval is not None:
            # Step k from the start, never from the previous slot: a slot moved out of
            # a DST gap (02:30 -> 03:30) must not drag every later day to 03:30.
            wall = self.start_wall if self.start_wall is not None and self.start is not None \
                else start.astimezone(tz).replace(tzinfo=None)
            days, seconds = timedelta(days=self.interval.days), timedelta(seconds=self.interval.seconds)
            limit = start + timedelta(days=_MAX_DAYS_AHEAD)
            k = 0
            while True:
                moment = localize(wall + k * days, tz) if days else start
                moment = (moment.astimezone(UTC) + k * seconds).astimezone(tz)
                if moment >= limit:
                    return
                if self.windows and not allowed(moment, self.windows, tz):
                    # Outside the window: this post moves to the next opening, and the
                    # interval counts again from there (09:00, 13:00, ... next day 09:00).
                    start = moment = next_allowed(moment, self.windows, tz)
                    wall, k = moment.replace(tzinfo=None), 0
                yield moment
                k += 1
        first_day = start.astimezone(tz).date()
        for n in range(_MAX_DAYS_AHEAD):
            day = first_day + timedelta(days=n)
            seen: set[datetime] = set()
            for clock in sorted(set(self.weekly.get(day.weekday(), []))):
                moment = localize(datetime.combine(day, clock), tz)
                # 02:30 in a spring-forward gap becomes 03:30: if 03:30 is a slot too, one post.
                # Slots outside a window are refused when the rules are read; this only
                # catches one a DST night pushes out (planner.rules.window_problems).
                if self.windows and not allowed(moment, self.windows, tz):
                    continue
                if moment >= start and moment not in seen:
                    seen.add(moment)
                    yield moment

    def slots(self, count: int, channels: list[str], now: datetime) -> list[datetime]:
        """`count` post times strictly after `now`, honouring blackout dates and daily caps.

        The cap and the blackout dates apply to the time each channel really
        posts (the slot plus that channel's offset), counted per local day.
        """
        if self.interval is None and not self.weekly:
            raise CadenceError("no cadence: give --interval (e.g. 4h) or weekly slots in a rules file")
        if self.interval is not None and (self.interval.is_zero or self.interval.as_timedelta() <= timedelta(0)):
            raise CadenceError("the interval must be longer than zero")
        start = self.first_start(now)
        if start <= now and self.start is not None and not self.start_is_floor:
            raise CadenceError(f"the start {start.isoformat()} is in the past (now is "
                               f"{now.astimezone(self.timezone).isoformat(timespec='minutes')}); "
                               "give a later --start, or leave it out to begin at the next slot")
        tz = self.timezone
        per_day: dict[tuple[str, date], int] = {}
        chosen: list[datetime] = []
        if count <= 0:
            return chosen
        for moment in self._candidates(start):
            if moment <= now:
                continue
            effective = [(ch, (self.offsets[ch].add_to(moment, tz) if ch in self.offsets else moment))
                         for ch in channels or [""]]
            if any(t <= now for _, t in effective):  # a negative offset must not reach into the past
                continue
            days = [(ch, t.astimezone(tz).date()) for ch, t in effective]
            if any(self.is_blackout(d) for _, d in days):
                continue
            if self.max_per_day is not None and any(per_day.get(k, 0) >= self.max_per_day for k in days):
                continue
            if self.occupancy is not None and not self.occupancy.claim(effective):
                continue
            for k in days:
                per_day[k] = per_day.get(k, 0) + 1
            chosen.append(moment)
            if len(chosen) == count:
                return chosen
        raise CadenceError(f"only {len(chosen)} of {count} slots fit in the next {_MAX_DAYS_AHEAD // 366} years; "
                           "the blackout dates or the daily cap leave no room")


ORDERS = ("cliper", "viral_potential", "engagement_score")


def order_clips(clips: list, order: str) -> list:
    """CLIPER order (clip id), or best first by a metadata score (ties: clip id).

    Clips without the score go last, in clip order.
    """
    if order == "cliper":
        return sorted(clips, key=lambda c: c.id)

    def key(clip):
        score = clip.metadata.get(order) if isinstance(clip.metadata, dict) else None
        has = isinstance(score, int | float) and not isinstance(score, bool)
        return (0 if has else 1, -float(score) if has else 0.0, clip.id)

    return sorted(clips, key=key)
