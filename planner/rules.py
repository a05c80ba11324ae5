"""Cadence rules: the `Rules` a rules file and the command-line flags describe.

A rules file (`--rules rules.yaml`, schema `schemas/rules.schema.json`) and the
flags describe the same `Rules`; flags win (`Rules.overlay`). `load_rules` reads
and checks a file, `check_rules` what a schema cannot say, and `make_cadence`
turns the rules into the `Cadence` that picks the post times. Turning clips and
rules into a plan is `planner.compose`.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace
from datetime import date, datetime
from pathlib import Path

from planner.cadence import (
    WEEKDAYS,
    Cadence,
    CadenceError,
    Duration,
    load_zone,
    parse_blackout,
    parse_clock,
    parse_duration,
    parse_start,
    start_wall_clock,
)
from planner.errors import Problem, UserError
from planner.fsutil import RULES_MAX_BYTES
from planner.providers import PROVIDERS, effective_settings, settings_problems
from planner.schema import read_document
from planner.templates import template_problems
from planner.window import ChannelWindow, parse_window


@dataclass
class ChannelRule:
    """What the rules say about one channel (see examples/rules.yaml)."""

    provider: str | None = None
    offset: str | None = None
    settings: dict = field(default_factory=dict)
    caption_template: str | None = None
    settings_templates: dict = field(default_factory=dict)
    window: str | None = None  # this channel's posting hours, e.g. '09:00-21:00' (planner.window)


@dataclass
class Rules:
    """Everything that decides when and where; None = not given."""

    timezone: str | None = None
    start: str | None = None
    interval: str | None = None
    slots: dict[str, list[str]] | None = None
    max_per_day: int | None = None
    blackout: list[str] | None = None
    order: str | None = None
    include_uncaptioned: bool | None = None
    caption_template: str | None = None
    channels: dict[str, ChannelRule] | None = None
    window: str | None = None  # posting hours of every channel without its own
    exclude: list[int] | None = None  # clip ids left out (damaged clips)
    source: str | None = None  # file the rules came from, for messages
    # line of a path in the rules file (for messages about the rules as overlaid)
    line_of: Callable[..., int | None] | None = field(default=None, repr=False, compare=False)

    def overlay(self, flags: Rules) -> Rules:
        """These rules with every value the flags give replacing the file's."""
        out = replace(self)
        for f in fields(Rules):
            value = getattr(flags, f.name)
            if value is not None and f.name not in ("channels", "source", "line_of"):
                setattr(out, f.name, value)
        if flags.exclude is not None:  # both say "leave this clip out": both count
            out.exclude = sorted(set(self.exclude or []) | set(flags.exclude))
        if flags.interval is not None:
            out.slots = None  # an --interval on the command line replaces weekly slots
        if flags.channels is not None:
            known = self.channels or {}
            out.channels = {ref: known.get(ref, ChannelRule()) for ref in flags.channels}
        return out


def load_rules(path: str | os.PathLike) -> Rules:
    """The rules in the file at `path`; a UserError listing every problem otherwise."""
    path = Path(path)
    doc, problems = read_document(path, "rules.schema.json", cap=RULES_MAX_BYTES, what="the rules file",
                                  not_fields="a rules file must be a set of fields (timezone, slots, channels, ...)")
    if doc is None:
        raise UserError(problems=problems)
    data = doc.data
    channels = None
    if data.get("channels") is not None:
        channels = {ref: ChannelRule(**(cfg or {})) for ref, cfg in data["channels"].items()}
    rules = Rules(
        timezone=data.get("timezone"), start=data.get("start"), interval=data.get("interval"),
        slots=data.get("slots"), max_per_day=data.get("max_per_day"), blackout=data.get("blackout"),
        order=data.get("order"), include_uncaptioned=data.get("include_uncaptioned"),
        caption_template=data.get("caption_template"), channels=channels, source=str(path),
        window=data.get("window"), exclude=data.get("exclude"), line_of=lambda *p: doc.line(p),
    )
    problems = check_rules(rules, lambda *p: doc.line(p))
    if problems:
        raise UserError(problems=problems)
    return rules


def check_rules(rules: Rules, line_of=lambda *p: None) -> list[Problem]:
    """Semantic checks the schema cannot express (zone names, template names, ...)."""
    problems: list[Problem] = []
    file = rules.source

    def bad(where: tuple, message: str, hint: str | None = None) -> None:
        shown = ".".join(str(p) for p in where) if file else "--" + str(where[0]).replace("_", "-")
        problems.append(Problem(message, file=file, path=shown, line=line_of(*where), hint=hint))

    checks: list[tuple[str, str | None, Callable[[str], object]]] = [
        ("timezone", rules.timezone, load_zone),
        ("interval", rules.interval, parse_duration),
        ("window", rules.window, parse_window),
    ]
    for name, value, parse in checks:
        if value is not None:
            try:
                parse(value)
            except CadenceError as exc:
                bad((name,), str(exc))
    if rules.start is not None:
        try:
            parse_start(rules.start, load_zone(rules.timezone or "UTC"))
        except CadenceError as exc:
            bad(("start",), str(exc))
    if file and rules.interval is not None and rules.slots:
        bad(("interval",), "give either `interval` or `slots`, not both",
            hint="`slots` posts at fixed times of the week; `interval` posts every N hours/days")
    for i, entry in enumerate(rules.blackout or []):
        try:
            parse_blackout(entry)
        except CadenceError as exc:
            bad(("blackout", i), str(exc))
    if rules.caption_template is not None:
        for msg, hint in template_problems(rules.caption_template):
            bad(("caption_template",), msg, hint)
    for ref, ch in (rules.channels or {}).items():
        if ch.offset is not None:
            try:
                parse_duration(ch.offset, allow_negative=True)
            except CadenceError as exc:
                bad(("channels", ref, "offset"), str(exc))
        if ch.window is not None:
            try:
                parse_window(ch.window)
            except CadenceError as exc:
                bad(("channels", ref, "window"), str(exc))
        if ch.caption_template is not None:
            for msg, hint in template_problems(ch.caption_template):
                bad(("channels", ref, "caption_template"), msg, hint)
        for key, tpl in ch.settings_templates.items():
            for msg, hint in template_problems(tpl):
                bad(("channels", ref, "settings_templates", key), msg, hint)
        if ch.provider in PROVIDERS and ch.settings:
            # A value written in the rules file and wrong is a mistake here, not later in
            # every post of the plan. (A missing one is only a warning: the plan may add it.)
            given = effective_settings(ch.provider, "caption", ch.settings)
            for name, msg in settings_problems(ch.provider, given):
                if name in ch.settings:
                    bad(("channels", ref, "settings", name), msg.removeprefix(f"{name}: "))
    return problems


def channel_windows(rules: Rules, channels: list[str]) -> list[ChannelWindow]:
    """Each channel's window (its own, else the global one) with its offset; checked rules."""
    out = []
    for ref in channels:
        rule = (rules.channels or {}).get(ref) or ChannelRule()
        text = rule.window or rules.window
        if text:
            offset = parse_duration(rule.offset, allow_negative=True) if rule.offset else Duration()
            out.append(ChannelWindow(ref, parse_window(text), offset, rule.offset or ""))
    return out


def window_problems(rules: Rules) -> list[Problem]:
    """Weekly slots at which a channel would post outside its window: refused, not
    silently dropped, so the slots the file lists are the times it posts."""
    problems = []
    channels = list(rules.channels or {})
    windows = channel_windows(rules, channels)
    for day, times in (rules.slots or {}).items() if rules.interval is None else ():
        for i, text in enumerate(times):
            slot = datetime.combine(date(2001, 1, 1), parse_clock(text))  # a day without DST changes
            for w in windows:
                posts = (slot + w.offset.as_timedelta()).time()
                if not w.window.contains(posts):
                    where = ("slots", day, i)
                    when = "" if posts == slot.time() else f" (it posts at {posts:%H:%M} with offset {w.offset_text})"
                    problems.append(Problem(
                        f"{text} is outside the window {w.window} of {w.channel}{when}",
                        file=rules.source, path=".".join(map(str, where)),
                        line=rules.line_of(*where) if rules.line_of else None,
                        hint="move the slot into the window, widen the window (`window:` or --window), "
                             "or remove the slot"))
    return problems


def make_cadence(rules: Rules, channels: list[str], *, strict_start: bool = True) -> Cadence:
    """The cadence of checked `rules` for `channels` (offsets per channel).

    `strict_start=False`: a start in the past means "the first slot after now".
    """
    tz = load_zone(rules.timezone or "UTC")
    weekly: dict[int, list] = {}
    for day, times in (rules.slots or {}).items():
        days = range(7) if day == "daily" else [WEEKDAYS.index(day)]
        for d in days:
            weekly.setdefault(d, []).extend(parse_clock(t) for t in times)
    offsets = {}
    for ref in channels:
        rule = (rules.channels or {}).get(ref)
        if rule and rule.offset:
            offsets[ref] = parse_duration(rule.offset, allow_negative=True)
    return Cadence(
        timezone=tz,
        start=parse_start(rules.start, tz) if rules.start else None,
        start_wall=start_wall_clock(rules.start, tz) if rules.start else None,
        interval=parse_duration(rules.interval) if rules.interval else None,
        weekly=weekly if rules.interval is None else {},
        max_per_day=rules.max_per_day,
        blackout=[parse_blackout(b) for b in rules.blackout or []],
        offsets=offsets,
        start_is_floor=not strict_start,
        windows=channel_windows(rules, channels),
    )
