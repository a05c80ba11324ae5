"""CLIPER clips + rules -> a plan document and its header: the `plan` step.

`plan_from_workspace` does all of `cliper-sched plan` but writing: the rules
(file, then flags over it), the chosen video's clips (uncaptioned ones given a
caption from the template, or left out), `build_document` (order, post times,
per-channel templates), warnings about what the plan still lacks, and the
header saying how it was made. Warnings go to `warn` as they are found, so
the ones found before an error still show, in order.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from planner import planid, planproviders, trust
from planner.cadence import CadenceError, order_clips
from planner.cliper.locate import VideoFolder, find_videos, pick_video
from planner.cliper.reader import VideoContent, read_video, video_title, youtube_id
from planner.errors import Problem, UserError
from planner.fsutil import sha256_file
from planner.generated import entry_for
from planner.header import plan_header
from planner.occupancy import Limits, Occupancy
from planner.paths import relative_to_plan
from planner.planchecks import exclude_origin, video_problems
from planner.providers import PROVIDERS, effective_settings, missing_settings
from planner.rules import ChannelRule, Rules, check_rules, load_rules, make_cadence, window_problems
from planner.templates import render_template, template_values
from planner.validate import caption_warnings

# Where warnings go: the command passes the terminal's; this module never prints.
Warn = Callable[[str], None]


@dataclass(frozen=True)
class PlanRequest:
    """`cliper-sched plan` as typed: the workspace and every option (None = not given)."""

    workspace: str
    video: str | None = None
    rules_file: str | None = None
    start: str | None = None
    interval: str | None = None
    channels: str | None = None
    timezone: str | None = None
    order: str | None = None
    max_per_day: int | None = None
    include_uncaptioned: bool | None = None
    caption_template: str | None = None
    name: str | None = None
    output: str | None = None
    window: str | None = None
    exclude_clips: tuple[int, ...] = ()
    providers: tuple[str, ...] = ()  # --provider CHANNEL=PROVIDER, as typed
    # --providers-from-postiz: Postiz's channels as (id, name, provider); None: not asked
    postiz_channels: tuple[tuple[str, str, str], ...] | None = None
    avoid: tuple[str, ...] = ()  # --avoid GLOB, as typed
    no_avoid: bool = False
    avoid_live: bool = False

    def typed_options(self, video_id: str) -> dict:
        """Each option as the header's command line repeats it, in that order (None: left out)."""
        return {
            "--video": video_id if self.video else None, "--rules": self.rules_file,
            "--start": self.start, "--interval": self.interval, "--window": self.window,
            "--channels": self.channels,
            "--timezone": self.timezone, "--order": self.order, "--max-per-day": self.max_per_day,
            "--exclude-clip": list(self.exclude_clips) or None,
            "--include-uncaptioned": self.include_uncaptioned,
            "--caption-template": self.caption_template, "--name": self.name,
            "--provider": list(self.providers) or None,
            "--providers-from-postiz": self.postiz_channels is not None or None,
            "--avoid": list(self.avoid) or None, "--no-avoid": self.no_avoid, "--avoid-live": self.avoid_live,
            "-o": self.output,
        }


def plan_from_workspace(request: PlanRequest, *, now: datetime, plan_file: Path | None,
                        warn: Warn, occupancy: Occupancy | None = None) -> tuple[dict, str]:
    """(plan document, header) for `request`. `plan_file`: where the plan will be
    written (-o FILE, or the file stdout goes to), None when unknown (a pipe)."""
    rules = rules_for(request, warn)
    source = pick_video(find_videos(Path(request.workspace)), request.video)
    if request.video is not None and request.video != source.video_id:
        warn(f"--video {shlex.quote(request.video)}: planning {source.video_id!r}")
    return plan_video(request, rules, source, now=now, plan_file=plan_file, warn=warn, occupancy=occupancy)


# Said after every problem of a video that stops its plan.
NOTHING_WRITTEN = Problem("nothing was written", hint="fix the problems above and run plan again")


def plan_video(request: PlanRequest, rules: Rules, source: VideoFolder, *, now: datetime,
               plan_file: Path | None, warn: Warn, occupancy: Occupancy | None = None) -> tuple[dict, str]:
    """(plan document, header) for one video folder with checked `rules`. A UserError
    lists every problem of the video that stops its plan at once. `occupancy`: the
    slots other plans hold (planner.occupancy), left free."""
    content = read_video(source, rules.exclude or ())
    for problem in content.problems:
        if problem.severity != "error":
            warn(problem.render())
    problems = content.errors + video_problems(content, rules, request)
    if problems:
        raise UserError(problems=problems + [NOTHING_WRITTEN])
    for cid in content.excluded:
        warn(f"{source.folder}: clip {cid} left out ({exclude_origin(rules, cid, request)})")
    name = request.name or source.video_id
    clips = _schedulable_clips(content, rules, name, warn)
    document = build_document(
        clips, rules=rules, now=now, name=name,
        # Relative to where the plan lands, so the plan finds its media from its own folder.
        workspace=relative_to_plan(source.workspace, plan_file), video_id=source.video_id,
        video_title=content.title, youtube_id=youtube_id(source.video_id),
        media_path=lambda c: c.video.relative_to(source.workspace).as_posix(),
        sha256=lambda c: sha256_file(c.video),
        # A past --start is a typo; a past start in a committed rules file is a floor.
        strict_start=request.start is not None, occupancy=occupancy,
    )
    _warn_unready_posts(document, rules, warn)
    if plan_file is not None:
        _warn_untrusted_workspace(plan_file, source.workspace, warn)
        kept = planid.read_from_file(plan_file)
        if kept is not None:  # re-planning over a plan: the same plan, the posts it owns stay its own
            document["id"] = kept
            warn(f"{plan_file}: re-planned over an existing plan: its id {kept} is kept")
    header = plan_header(request.workspace, request.typed_options(source.video_id), document,
                         video_id=source.video_id, plan_file=plan_file)
    return document, header


def _warn_untrusted_workspace(plan_file: Path, workspace: Path, warn: Warn) -> None:
    """The user typed the workspace, but the plan will only name it: when it lies outside
    the plan's repository (planner.trust), say now what validate, diff and apply will need."""
    try:
        out = trust.outside(plan_file, workspace)
    except UserError as exc:  # the user's list of trusted folders is broken: say so, plan anyway
        warn(exc.render())
        return
    if out is not None:
        where = shlex.quote(str(out.real))
        warn(f"the workspace {out.real} is outside {out.boundary.describe()}: validate, diff and apply "
             f"will refuse this plan until you trust it once with `cliper-sched trust {where}` "
             f"(or pass --workspace {where} each time)")


def rules_for(request: PlanRequest, warn: Warn) -> Rules:
    """The rules file, if any, with the flags over it; both checked."""
    flags = Rules(timezone=request.timezone, start=request.start, interval=request.interval,
                  order=request.order, max_per_day=request.max_per_day,
                  include_uncaptioned=request.include_uncaptioned,
                  caption_template=request.caption_template, channels=_channel_flags(request.channels),
                  window=request.window, exclude=list(request.exclude_clips) or None)
    problems = check_rules(flags)
    if problems:
        raise UserError(problems=problems)
    rules = load_rules(request.rules_file).overlay(flags) if request.rules_file else Rules().overlay(flags)
    problems = window_problems(rules)  # the file's slots against a --window, too
    if problems:
        raise UserError(problems=problems)
    postiz = None if request.postiz_channels is None else \
        planproviders.from_postiz(rules.channels or {}, request.postiz_channels)
    rules = planproviders.apply(rules, planproviders.parse_flags(request.providers), postiz, warn)
    if rules.timezone is None:
        warn("no time zone given (--timezone or `timezone:` in the rules file): the schedule is in UTC")
    return rules


def _channel_flags(text: str | None) -> dict[str, ChannelRule] | None:
    """--channels a,b as rules (None: not given)."""
    if text is None:
        return None
    refs = [c.strip() for c in text.split(",") if c.strip()]
    if not refs:
        raise UserError("--channels is empty", hint="e.g. --channels tiktok-main,youtube-shorts")
    return {ref: ChannelRule() for ref in refs}


def _schedulable_clips(content: VideoContent, rules: Rules, plan_name: str, warn: Warn) -> list:
    """The clips to post: the captioned ones, and the uncaptioned ones when the rules
    give them a caption template. Every clip left out is said."""
    folder = content.source.folder
    clips = []
    for clip in content.clips:
        if clip.caption is not None:
            clips.append(clip)
            continue
        if rules.include_uncaptioned:
            if not rules.caption_template:
                raise UserError("--include-uncaptioned needs --caption-template",
                                hint="e.g. --caption-template 'Clip {clip} de {video_title} #clips'")
            values = template_values("", clip.id, key_for(clip.id), content.title, content.source.video_id, plan_name,
                                     youtube_id(content.source.video_id))
            clip = replace(clip, caption=render_template(rules.caption_template, values))
            warn(f"{folder}: clip {clip.id} has no caption: using the caption template")
            clips.append(clip)
        else:
            declared = " (CLIPER lists it as missing)" if clip.id in content.missing_declared else ""
            warn(f"{folder}: clip {clip.id} has a video but no caption{declared}: left out "
                 "(--include-uncaptioned --caption-template '...' schedules it)")
    for cid in content.orphan_captions:
        warn(f"{folder / 'copys' / 'clips_copys.json'}: clip {cid} has a caption but no video: left out")
    if not clips:
        raise UserError(f"{folder}: no clip has both a video and a caption; nothing to schedule",
                        hint="run CLIPER's caption step, or use --include-uncaptioned --caption-template '...'")
    return clips


def key_for(clip_id: int) -> str:
    # Fixed minimum width: the key of clip 7 never depends on how many clips exist.
    return f"clip-{clip_id:02d}"


def build_document(clips: list, *, rules: Rules, now: datetime, name: str, workspace: str,
                   video_id: str, video_title: str, media_path, sha256, strict_start: bool = True,
                   youtube_id: str | None = None, occupancy: Occupancy | None = None) -> dict:
    """The plan document for `clips` (each with .id, .caption, .metadata, .video):
    ordered by the rules, one post time each, templates rendered per channel.

    `media_path(clip)` gives the workspace-relative POSIX path, `sha256(clip)` the digest.
    `strict_start=False`: a start in the past means "the first slot after now".
    """
    channel_rules = rules.channels or {}
    channels = list(channel_rules)
    if not channels:
        raise UserError("no channels: say where to post with --channels tiktok-main,youtube-shorts "
                        "or a `channels:` section in the rules file",
                        hint="`cliper-sched channels` lists the channel names Postiz knows")
    cadence = make_cadence(rules, channels, strict_start=strict_start)
    if occupancy is not None:  # other plans' posts take their slots, and count in the limits
        cadence.occupancy = occupancy.for_plan(Limits(cadence.timezone, cadence.max_per_day, cadence.interval))
    ordered = order_clips(clips, rules.order or "cliper")
    try:
        slots = cadence.slots(len(ordered), channels, now)
    except CadenceError as exc:
        raise UserError(str(exc), file=rules.source) from exc
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
        values = template_values(clip.caption, clip.id, key, video_title, video_id, name, youtube_id)
        overrides = _rendered_overrides(channel_rules, clip.caption, values)
        if overrides:
            post["overrides"] = overrides
        posts.append(post)
    document: dict = {
        "version": 1,
        "name": name,
        "timezone": rules.timezone or "UTC",
        "source": {"workspace": workspace, "video": video_id},
    }
    limits = _cadence_section(rules)
    if limits:
        document["cadence"] = limits
    config = _channels_section(channel_rules)
    if config:
        document["channels"] = config
    document["posts"] = posts
    document["id"] = planid.for_document(document)
    # What each post was made from: the base `plan --update` merges with (planner.generated).
    document["generated"] = {p["key"]: entry_for(p, datetime.fromisoformat(p["at"])) for p in posts}
    return document


def _cadence_section(rules: Rules) -> dict:
    """The plan's `cadence:`: the limits it keeps to, so plans made later beside it and
    `validate` know them. The interval of an interval cadence is its minimum gap."""
    section: dict = {}
    if rules.max_per_day is not None:
        section["max_per_day"] = rules.max_per_day
    if rules.interval is not None:
        section["min_gap"] = rules.interval
    return section


def overrides_for(rules: Rules, key: str, clip_id: int | None, caption: str, *, video_id: str, name: str) -> dict:
    """One post's `overrides:` as the rules' templates render them from `caption`
    (`plan --update`: from a hand-edited caption too)."""
    values = template_values(caption, clip_id or 0, key, video_title(video_id), video_id, name, youtube_id(video_id))
    return _rendered_overrides(rules.channels or {}, caption, values)


def _channels_section(channel_rules: dict[str, ChannelRule]) -> dict:
    """The plan's `channels:`: what the rules say of each channel, templates aside."""
    config: dict[str, dict] = {}
    for ref, rule in channel_rules.items():
        entry: dict = {}
        if rule.provider:
            entry["provider"] = rule.provider
        if rule.offset:
            entry["offset"] = rule.offset
        if rule.settings:
            entry["settings"] = dict(rule.settings)
        if entry:
            config[ref] = entry
    return config


def _rendered_overrides(channel_rules: dict[str, ChannelRule], caption: str, values: dict) -> dict:
    """One post's `overrides:`: each channel's caption and settings templates, rendered."""
    overrides: dict = {}
    for ref, rule in channel_rules.items():
        override: dict = {}
        if rule.caption_template:
            rendered = render_template(rule.caption_template, values)
            if rendered != caption:  # an override equal to the caption is noise
                override["caption"] = rendered
        if rule.settings_templates:
            override["settings"] = {k: render_template(t, values) for k, t in sorted(rule.settings_templates.items())}
        if override:
            overrides[ref] = override
    return overrides


def _warn_unready_posts(document: dict, rules: Rules, warn: Warn) -> None:
    """Captions too long for a provider, settings a provider requires and nobody set:
    the checks `validate` makes, said now (the plan is still written: it is meant
    to be edited)."""
    channel_rules = rules.channels or {}
    providers = {ref: cfg.provider for ref, cfg in channel_rules.items() if cfg.provider}
    unset: dict[tuple[str, str], int] = {}
    for post in document["posts"]:
        for ref in post["channels"]:
            override = post.get("overrides", {}).get(ref, {})
            caption = override.get("caption", post["caption"])
            provider = providers.get(ref)
            for msg in caption_warnings(caption, provider):
                warn(f"clip {post['clip']} on {ref}: {msg}")
            if provider in PROVIDERS:
                settings = effective_settings(provider, caption, channel_rules[ref].settings,
                                              override.get("settings"))
                for msg in missing_settings(provider, settings):
                    unset[(ref, msg)] = unset.get((ref, msg), 0) + 1
    # One line per channel and setting, not one per post.
    for (ref, msg), count in unset.items():
        warn(f"{ref}: {msg} ({count} of {len(document['posts'])} posts): set it under channels.{ref}.settings "
             "in the rules file, or in the plan, before `cliper-sched validate`")

