"""What the rules ask of one video that it may not have: the clips `exclude` names,
the YouTube id `{youtube_id}` renders. Found before planning, all at once."""

from __future__ import annotations

from typing import TYPE_CHECKING

from planner.cliper.reader import VideoContent, youtube_id
from planner.errors import Problem
from planner.templates import uses

if TYPE_CHECKING:
    from planner.compose import PlanRequest
    from planner.rules import Rules


def video_problems(content: VideoContent, rules: Rules, request: PlanRequest) -> list[Problem]:
    return _exclude_problems(content, rules, request) + _youtube_id_problems(content, rules, request)


def exclude_origin(rules: Rules, cid: int, request: PlanRequest) -> str:
    """Where clip `cid` was excluded, as the user wrote it."""
    if cid in request.exclude_clips:
        return f"--exclude-clip {cid}"
    return f"`exclude` in {rules.source}" if rules.source else "excluded"


def _exclude_problems(content: VideoContent, rules: Rules, request: PlanRequest) -> list[Problem]:
    # A typo must not go unnoticed: it would post the damaged clip meant to be left out.
    has = sorted({c.id for c in content.clips} | set(content.orphan_captions) | set(content.excluded))
    problems = []
    for cid in rules.exclude or []:
        if cid in content.excluded:
            continue
        hint = f"this video has clips {_ranges(has)}; check the number" if has else None
        message = f"clip {cid} is to be left out, but video {content.source.video_id!r} has no clip {cid}"
        if cid in request.exclude_clips:
            problems.append(Problem(message, path=f"--exclude-clip {cid}", hint=hint))
        else:
            problems.append(Problem(message, file=rules.source, path="exclude",
                                    line=rules.line_of("exclude") if rules.line_of else None, hint=hint))
    return problems


def _youtube_id_problems(content: VideoContent, rules: Rules, request: PlanRequest) -> list[Problem]:
    if youtube_id(content.source.video_id) is not None:
        return []
    templates: list[tuple[tuple, str]] = []
    if rules.include_uncaptioned and rules.caption_template:
        templates.append((("caption_template",), rules.caption_template))
    for ref, ch in (rules.channels or {}).items():
        if ch.caption_template:
            templates.append((("channels", ref, "caption_template"), ch.caption_template))
        templates += [(("channels", ref, "settings_templates", key), tpl) for key, tpl in ch.settings_templates.items()]
    problems = []
    for where, template in templates:
        if not uses(template, "youtube_id"):
            continue
        from_file = rules.source is not None and not (where == ("caption_template",)
                                                      and request.caption_template is not None)
        problems.append(Problem(
            f"{{youtube_id}}: the video folder {content.source.video_id!r} does not end in a YouTube id",
            file=rules.source if from_file else None,
            path=".".join(where) if from_file else "--caption-template",
            line=rules.line_of(*where) if from_file and rules.line_of else None,
            hint="{youtube_id} is the 11-character id at the end of a folder CLIPER named after a YouTube "
                 "download (`<title>_<id>`); for this video use {video_id} (the whole folder name) instead"))
    return problems


def _ranges(ids: list[int]) -> str:
    """[1, 2, 3, 5] -> '1-3, 5'."""
    out: list[str] = []
    start = prev = ids[0]
    for cid in [*ids[1:], None]:
        if cid is not None and cid == prev + 1:
            prev = cid
            continue
        out.append(str(start) if start == prev else f"{start}-{prev}")
        if cid is not None:
            start = prev = cid
    return ", ".join(out)
