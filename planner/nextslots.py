"""Where `plan --update` puts new clips: the next free slots of the cadence after the plan's last post.

The posts already in the plan keep their times; the cadence (the same rules the
plan was made with) goes on after the last of them, never before now. They hold
their minutes and count in `max_per_day`, through the cadence's `occupancy`
question (planner.cadence.SlotClaims). An interval cadence without a start of
its own counts the interval from the last post.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

from planner.cadence import Cadence, CadenceError
from planner.errors import UserError
from planner.occupancy import Limits, Occupancy
from planner.planfile import Plan, PlanPost


class _PlanHolds:
    """The plan's own posts, as slots the cadence must leave and count."""

    def __init__(self, cadence: Cadence, held: list[tuple[str, datetime]]) -> None:
        self.tz = cadence.timezone
        self.cap = cadence.max_per_day
        self.minutes = {(ref, self._minute(at)) for ref, at in held}
        self.per_day: dict[tuple[str, date], int] = {}
        for ref, at in held:
            self._count(ref, at)

    def _minute(self, at: datetime) -> datetime:
        return at.replace(second=0, microsecond=0)

    def _count(self, ref: str, at: datetime) -> None:
        day = (ref, at.astimezone(self.tz).date())
        self.per_day[day] = self.per_day.get(day, 0) + 1

    def claim(self, times: list[tuple[str, datetime]]) -> bool:
        for ref, at in times:
            if (ref, self._minute(at)) in self.minutes:
                return False
            if self.cap is not None and self.per_day.get((ref, at.astimezone(self.tz).date()), 0) >= self.cap:
                return False
        for ref, at in times:  # the cadence takes it: it holds its minute and counts too
            self.minutes.add((ref, self._minute(at)))
            self._count(ref, at)
        return True


class _Both:
    """Free only if free for both: the plan's own posts and the other plans' (occupancy.py)."""

    def __init__(self, own: _PlanHolds, others: Occupancy) -> None:
        self.own, self.others = own, others

    def claim(self, times: list[tuple[str, datetime]]) -> bool:
        return self.others.claim(times) and self.own.claim(times)


def next_free_slots(cadence: Cadence, plan: Plan, kept: list[PlanPost], count: int,
                    channels: list[str], now: datetime, *, rules_file: str | None = None,
                    others: Occupancy | None = None) -> list[datetime]:
    """`count` post times for new clips: after `now` and after the last of `kept`, clear of
    `others` (the other plans `plan` itself would avoid: the folder's, --avoid)."""
    keys = {p.key for p in kept}
    held = [(t.channel_ref, t.at) for t in plan.targets() if t.post.key in keys]
    floor = max([now] + [p.at for p in kept])
    if cadence.start is None and cadence.interval is not None and kept:
        last = max(p.at for p in kept)
        cadence = replace(cadence, start=last.astimezone(cadence.timezone), start_wall=None)
    cadence = replace(cadence, start_is_floor=True)
    own = _PlanHolds(cadence, held)
    cadence.occupancy = own if others is None else _Both(
        own, others.for_plan(Limits(cadence.timezone, cadence.max_per_day, cadence.interval)))
    try:
        return cadence.slots(count, channels, floor)
    except CadenceError as exc:
        raise UserError(f"no room for {count} new clip(s) after the plan's last post: {exc}", file=rules_file,
                        hint="loosen the cadence (--max-per-day, blackout dates), or make room in the plan") from exc
