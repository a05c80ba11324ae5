"""Cadence rules (file and flags) and how they turn clips into a plan document.

A rules file (`--rules rules.yaml`, schema `schemas/rules.schema.json`) and the
command-line flags describe the same `Rules`; flags win. `build_document` then
orders the clips, asks `cadence` for the slots and renders per-channel
templates, giving the plain dict `planfile.dump_plan` writes.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field, fields, replace
from datetime import datetime
from pathlib import Path

from planner.cadence import (
    WEEKDAYS,
    Cadence,
    CadenceError,
    load_zone,
    order_clips,
    parse_blackout,
    parse_clock,
    parse_duration,
    parse_start,
    start_wall_clock,
)
from planner.docload import parse_yaml, read_text, schema_problems
from planner.errors import Problem, UserError
from planner.providers import (
    PROVIDERS,
    default_settings,
    settings_problems,
    title_from_caption,
    utf16_length,
)

# Every {...} is a placeholder: a known name, optionally `:width`. Nothing in it is
# ever evaluated (no str.format: `{clip.__class__}` would reach into Python objects).
PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
TEMPLATE_NAMES = ("caption", "text", "hashtags", "title", "clip", "key", "video_title", "video_id", "name")
_HASHTAG = re.compile(r"(?<!\w)#[\w\u00C0-\uFFFF]+")


@dataclass
class ChannelRule:
    provider: str | None = None
    offset: str | None = None
    settings: dict = field(default_factory=dict)
    caption_template: str | None = None
    settings_templates: dict = field(default_factory=dict)


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
    source: str | None = None  # file the rules came from, for messages

    def overlay(self, flags: Rules) -> Rules:
        """These rules with every value the flags give replacing the file's."""
        out = replace(self)
        for f in fields(Rules):
            value = getattr(flags, f.name)
            if value is not None and f.name not in ("channels", "source"):
                setattr(out, f.name, value)
        if flags.interval is not None:
            out.slots = None  # an --interval on the command line replaces weekly slots
        if flags.channels is not None:
            known = self.channels or {}
            out.channels = {ref: known.get(ref, ChannelRule()) for ref in flags.channels}
        return out


def load_rules(path: str | os.PathLike) -> Rules:
    path = Path(path)
    file = str(path)
    text, problems = read_text(path, file)
    doc = None
    if text is not None:
        doc, problems = parse_yaml(text, file)
    if doc is not None and not problems:
        if not isinstance(doc.data, dict):
            problems = [Problem("a rules file must be a set of fields (timezone, slots, channels, ...)", file=file, line=1)]
        else:
            problems = schema_problems(doc, "rules.schema.json", file)
    if problems:
        raise UserError(problems=problems)
    data = doc.data
    channels = None
    if data.get("channels") is not None:
        channels = {ref: ChannelRule(**(cfg or {})) for ref, cfg in data["channels"].items()}
    rules = Rules(
        timezone=data.get("timezone"), start=data.get("start"), interval=data.get("interval"),
        slots=data.get("slots"), max_per_day=data.get("max_per_day"), blackout=data.get("blackout"),
        order=data.get("order"), include_uncaptioned=data.get("include_uncaptioned"),
        caption_template=data.get("caption_template"), channels=channels, source=file,
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

    checks = [
        ("timezone", rules.timezone, load_zone),
        ("interval", rules.interval, parse_duration),
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
        if ch.caption_template is not None:
            for msg, hint in template_problems(ch.caption_template):
                bad(("channels", ref, "caption_template"), msg, hint)
        for key, tpl in ch.settings_templates.items():
            for msg, hint in template_problems(tpl):
                bad(("channels", ref, "settings_templates", key), msg, hint)
        if ch.provider in PROVIDERS and ch.settings:
            # A value written in the rules file and wrong is a mistake here, not later in
            # every post of the plan. (A missing one is only a warning: the plan may add it.)
            given = {**default_settings(ch.provider, "caption"), **ch.settings}
            for name, msg in settings_problems(ch.provider, given):
                if name in ch.settings:
                    bad(("channels", ref, "settings", name), msg.removeprefix(f"{name}: "))
    return problems


def template_problems(template: str) -> list[tuple[str, str]]:
    """(message, hint) for each placeholder that is not a known name with an optional width >= 1."""
    out = []
    for body in dict.fromkeys(m.group(1) for m in PLACEHOLDER.finditer(template)):
        name, colon, width = body.partition(":")
        if name not in TEMPLATE_NAMES:
            out.append((f"unknown placeholder {{{body}}}; use one of " + ", ".join("{" + n + "}" for n in TEMPLATE_NAMES),
                        "a placeholder is one of these names, optionally with a width ({title:80}); "
                        "attribute and index access ({clip.x}, {clip[0]}) are not supported"))
        elif colon and not (width.isascii() and width.isdigit() and int(width) >= 1):
            out.append((f"{{{body}}}: the width must be a whole number of characters, at least 1",
                        f"{{{name}:80}} cuts {name} at a word to 80 characters; {{{name}}} keeps it whole"))
    return out


def render_template(template: str, values: dict[str, str]) -> str:
    """`{name}` replaced by its value; `{name:80}` cut at a word to 80 characters.

    Only for templates `template_problems` accepts (rules files and flags are checked on load).
    """
    def sub(m: re.Match) -> str:
        name, _, width = m.group(1).partition(":")
        value = values[name]
        if width and utf16_length(value) > int(width):
            value = title_from_caption(value, int(width)) if name != "hashtags" else value[:int(width)]
        return value
    return PLACEHOLDER.sub(sub, template)


def template_values(caption: str, clip_id: int, key: str, video_title: str, video_id: str, name: str) -> dict:
    tags = _HASHTAG.findall(caption)
    return {
        "caption": caption,
        "text": " ".join(_HASHTAG.sub(" ", caption).split()),
        "hashtags": " ".join(tags),
        "title": title_from_caption(caption),
        "clip": str(clip_id),
        "key": key,
        "video_title": video_title,
        "video_id": video_id,
        "name": name,
    }


def make_cadence(rules: Rules, channels: list[str], *, strict_start: bool = True) -> Cadence:
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
    )


def key_for(clip_id: int) -> str:
    # Fixed minimum width: the key of clip 7 never depends on how many clips exist.
    return f"clip-{clip_id:02d}"


def build_document(clips: list, *, rules: Rules, now: datetime, name: str, workspace: str,
                   video_id: str, video_title: str, media_path, sha256, strict_start: bool = True) -> dict:
    """The plan document for `clips` (each with .id, .caption, .metadata, .video).

    `media_path(clip)` gives the workspace-relative POSIX path, `sha256(clip)` the digest.
    `strict_start=False`: a start in the past means "the first slot after now".
    """
    channels = list(rules.channels or {})
    if not channels:
        raise UserError("no channels: say where to post with --channels tiktok-main,youtube-shorts "
                        "or a `channels:` section in the rules file",
                        hint="`cliper-sched channels` lists the channel names Postiz knows")
    cadence = make_cadence(rules, channels, strict_start=strict_start)
    ordered = order_clips(clips, rules.order or "cliper")
    try:
        slots = cadence.slots(len(ordered), channels, now)
    except CadenceError as exc:
        raise UserError(str(exc), file=rules.source) from exc
    config: dict[str, dict] = {}
    for ref in channels:
        rule = (rules.channels or {}).get(ref) or ChannelRule()
        entry: dict = {}
        if rule.provider:
            entry["provider"] = rule.provider
        if rule.offset:
            entry["offset"] = rule.offset
        if rule.settings:
            entry["settings"] = dict(rule.settings)
        if entry:
            config[ref] = entry
    posts = []
    for clip, at in zip(ordered, slots, strict=True):
        key = key_for(clip.id)
        post: dict = {
            "key": key,
            "clip": clip.id,
            "media": {"path": media_path(clip), "sha256": sha256(clip)},
            "caption": clip.caption,
            "at": at.isoformat(),
            "channels": list(channels),
        }
        overrides: dict = {}
        values = template_values(clip.caption, clip.id, key, video_title, video_id, name)
        for ref in channels:
            rule = (rules.channels or {}).get(ref)
            if rule is None:
                continue
            ov: dict = {}
            if rule.caption_template:
                rendered = render_template(rule.caption_template, values)
                if rendered != clip.caption:  # an override equal to the caption is noise
                    ov["caption"] = rendered
            if rule.settings_templates:
                ov["settings"] = {k: render_template(t, values) for k, t in sorted(rule.settings_templates.items())}
            if ov:
                overrides[ref] = ov
        if overrides:
            post["overrides"] = overrides
        posts.append(post)
    document: dict = {
        "version": 1,
        "name": name,
        "timezone": rules.timezone or "UTC",
        "source": {"workspace": workspace, "video": video_id},
    }
    if config:
        document["channels"] = config
    document["posts"] = posts
    return document
