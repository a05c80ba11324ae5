"""Posting windows: the hours of the day a channel may post (`--window 09:00-21:00`).

A window is wall-clock time in the plan's zone, so 09:00-21:00 stays 09:00-21:00
local across DST changes. Both ends are inside (a post at 21:00 is in
09:00-21:00). A window may cross midnight (22:00-02:00: from 22:00 to 02:00 the
next morning). Each channel's real posting time (the slot plus its offset) must
be inside that channel's window: its own, else the global one, else any time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from planner.cadence import CadenceError, Duration, localize, parse_clock

_WINDOW = re.compile(r"\s*([^-\s]+)\s*-\s*([^-\s]+)\s*")
_SEARCH_DAYS = 9  # windows repeat daily: a week and a DST change is plenty to find an opening


@dataclass(frozen=True)
class Window:
    start: time
    end: time

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"

    def contains(self, clock: time) -> bool:
        if self.start < self.end:
            return self.start <= clock <= self.end
        return clock >= self.start or clock <= self.end  # crosses midnight


def parse_window(text: str) -> Window:
    """'09:00-21:00' or, crossing midnight, '22:00-02:00'."""
    m = _WINDOW.fullmatch(str(text))
    try:
        if not m:
            raise CadenceError("no '-' between two times")
        start, end = parse_clock(m.group(1)), parse_clock(m.group(2))
    except CadenceError as exc:
        raise CadenceError(f"{text!r} is not a window; write it as HH:MM-HH:MM (24-hour), e.g. '09:00-21:00' "
                           f"({exc})") from None
    if start == end:
        raise CadenceError(f"{text!r}: the window opens and closes at the same minute; give the hours "
                           "posts may go out, e.g. '09:00-21:00', or leave the window out to post at any hour")
    return Window(start, end)


@dataclass(frozen=True)
class ChannelWindow:
    """One channel's window and its offset (it posts at slot + offset)."""

    channel: str
    window: Window
    offset: Duration = Duration()
    offset_text: str = ""  # as the rules wrote it, for messages

    def allows(self, slot: datetime, tz: ZoneInfo) -> bool:
        return self.window.contains(self.offset.add_to(slot, tz).time())

    def slot_for(self, moment: datetime, tz: ZoneInfo) -> datetime:
        """The slot that makes this channel post at `moment`."""
        return Duration(-self.offset.days, -self.offset.seconds).add_to(moment, tz)

    def describe(self) -> str:
        return f"{self.channel or 'every channel'} {self.window}" + (f" with offset {self.offset_text}"
                                                                    if self.offset_text else "")


def allowed(slot: datetime, windows: list[ChannelWindow], tz: ZoneInfo) -> bool:
    return all(w.allows(slot, tz) for w in windows)


def next_allowed(slot: datetime, windows: list[ChannelWindow], tz: ZoneInfo) -> datetime:
    """The first moment at or after `slot` when every channel posts inside its window.

    It is `slot` itself or a moment one channel's window opens (moved back by that
    channel's offset): an allowed stretch can only begin at one of those.
    """
    if allowed(slot, windows, tz):
        return slot
    first = slot.astimezone(tz).date() - timedelta(days=1)
    openings = sorted({
        w.slot_for(localize(datetime.combine(first + timedelta(days=n), w.window.start), tz), tz)
        for w in windows for n in range(_SEARCH_DAYS)
    })
    for moment in openings:
        if moment >= slot and allowed(moment, windows, tz):
            return moment.astimezone(tz)
    raise CadenceError("no time of day suits every channel's window: "
                       + ", ".join(w.describe() for w in windows)
                       + "; widen the windows so they overlap, or plan those channels separately")
