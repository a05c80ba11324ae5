"""`cliper-sched plan`: CLIPER output + cadence rules -> a YAML plan on stdout or -o FILE."""

from __future__ import annotations

import os
import shlex
from datetime import UTC, datetime
from pathlib import Path

import click

from planner.cadence import ORDERS, CadenceError
from planner.cliper.locate import find_videos, pick_video
from planner.cliper.reader import read_video
from planner.errors import Problem, UserError
from planner.fsutil import atomic_write_text, sha256_file
from planner.planfile import dump_plan
from planner.rules import (
    ChannelRule,
    Rules,
    build_document,
    check_rules,
    key_for,
    load_rules,
    render_template,
    template_problems,
    template_values,
)
from planner.term import warn
from planner.validate import caption_warnings

NOW_ENV = "CLIPER_SCHED_NOW"


def current_time(value: str | None) -> datetime:
    """Now, or the moment given by --now / CLIPER_SCHED_NOW (tests, dry runs)."""
    text = value or os.environ.get(NOW_ENV)
    if not text:
        return datetime.now(UTC)
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise UserError(f"{NOW_ENV}/--now {text!r} is not an ISO 8601 date and time",
                        hint="e.g. 2026-11-30T12:00:00+00:00") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _split_channels(text: str | None) -> dict[str, ChannelRule] | None:
    if text is None:
        return None
    refs = [c.strip() for c in text.split(",") if c.strip()]
    if not refs:
        raise UserError("--channels is empty", hint="e.g. --channels tiktok-main,youtube-shorts")
    return {ref: ChannelRule() for ref in refs}


def _report(problems: list[Problem]) -> None:
    for p in problems:
        if p.severity != "error":
            warn(p.render())


def _command_line(workspace: str, opts: dict) -> str:
    parts = ["cliper-sched", "plan", workspace]
    for flag, value in opts.items():
        if value is None or value is False:
            continue
        parts.append(flag) if value is True else parts.extend([flag, str(value)])
    return shlex.join(parts)


@click.command("plan")
@click.argument("workspace", type=click.Path(path_type=str))
@click.option("--video", help="Which video to plan when the workspace holds several (its output/<video>/ folder name).")
@click.option("--start", help="First post time, 'YYYY-MM-DD HH:MM' in --timezone. Default: the first slot after now.")
@click.option("--interval", help="Time between posts: a number and m, h, d or w (e.g. 4h, 1d).")
@click.option("--channels", "channels", help="Comma-separated channel names or integration ids, e.g. tiktok-main,youtube-shorts.")
@click.option("--timezone", help="IANA time zone, e.g. America/Mexico_City (default: the rules file's, else UTC).")
@click.option("--rules", "rules_file", type=click.Path(path_type=str), help="Rules file (weekly slots, daily cap, blackout dates, per-channel settings); flags override it.")
@click.option("--order", type=click.Choice(ORDERS), help="Clip order: CLIPER's, or best first by a CLIPER score.")
@click.option("--max-per-day", type=click.IntRange(min=1), help="At most N posts per day on each channel.")
@click.option("--name", help="Plan name (default: the video id).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=str), help="Write the plan to FILE (atomically) instead of stdout.")
@click.option("--include-uncaptioned", is_flag=True, default=None, help="Also schedule clips without a caption, using --caption-template.")
@click.option("--caption-template", help="Caption for uncaptioned clips, e.g. 'Clip {clip} de {video_title} #clips'.")
@click.option("--now", "now_text", hidden=True, help="Pretend it is this moment (ISO 8601); also CLIPER_SCHED_NOW.")
def command(workspace, video, start, interval, channels, timezone, rules_file, order, max_per_day, name,
            output, include_uncaptioned, caption_template, now_text):
    """Turn CLIPER output into a reviewable YAML posting plan.

    WORKSPACE is a CLIPER workspace (the folder holding output/), an output/
    folder, or one output/<video>/ folder.

    \b
    Examples:
      cliper-sched plan ~/cliper --start "2026-12-01 09:00" --interval 4h \\
          --channels tiktok-main,youtube-shorts --timezone America/Mexico_City > plans/ep12.yaml
      cliper-sched plan ~/cliper --rules rules.yaml --name ep12 -o plans/ep12.yaml

    The plan goes to stdout (or -o FILE); warnings and errors go to stderr.
    With an error nothing is written and the exit code is 1.
    """
    try:
        return _plan(workspace, video, start, interval, channels, timezone, rules_file, order, max_per_day,
                     name, output, include_uncaptioned, caption_template, now_text)
    except OSError as exc:  # unreadable folder, unwritable -o target, disk full...
        where = exc.filename or output or workspace
        raise UserError(f"{where}: {exc.strerror or exc}", hint="nothing was written") from exc


def _plan(workspace, video, start, interval, channels, timezone, rules_file, order, max_per_day,
          name, output, include_uncaptioned, caption_template, now_text):
    now = current_time(now_text)
    flags = Rules(timezone=timezone, start=start, interval=interval, order=order, max_per_day=max_per_day,
                  include_uncaptioned=include_uncaptioned, caption_template=caption_template,
                  channels=_split_channels(channels))
    flag_problems = check_rules(flags)
    if flag_problems:
        raise UserError(problems=flag_problems)
    rules = load_rules(rules_file).overlay(flags) if rules_file else Rules().overlay(flags)
    if rules.timezone is None:
        warn("no time zone given (--timezone or `timezone:` in the rules file): the schedule is in UTC")

    source = pick_video(find_videos(Path(workspace)), video)
    content = read_video(source)
    _report(content.problems)
    if content.errors:
        raise UserError(problems=content.errors + [Problem(
            "nothing was written", hint="fix the problems above and run plan again")])

    plan_name = name or source.video_id
    shown_folder = str(source.folder)
    clips = []
    for clip in content.clips:
        if clip.caption is not None:
            clips.append(clip)
            continue
        if rules.include_uncaptioned:
            if not rules.caption_template:
                raise UserError("--include-uncaptioned needs --caption-template",
                                hint="e.g. --caption-template 'Clip {clip} de {video_title} #clips'")
            values = template_values("", clip.id, key_for(clip.id), content.title, source.video_id, plan_name)
            clip.caption = render_template(rules.caption_template, values)
            warn(f"{shown_folder}: clip {clip.id} has no caption: using the caption template")
            clips.append(clip)
        else:
            declared = " (CLIPER lists it as missing)" if clip.id in content.missing_declared else ""
            warn(f"{shown_folder}: clip {clip.id} has a video but no caption{declared}: left out "
                 "(--include-uncaptioned --caption-template '...' schedules it)")
    for cid in content.orphan_captions:
        warn(f"{source.folder / 'copys' / 'clips_copys.json'}: clip {cid} has a caption but no video: left out")
    if rules.caption_template and template_problems(rules.caption_template):
        raise UserError(problems=[Problem(m, path="--caption-template") for m in template_problems(rules.caption_template)])
    if not clips:
        raise UserError(f"{shown_folder}: no clip has both a video and a caption; nothing to schedule",
                        hint="run CLIPER's caption step, or use --include-uncaptioned --caption-template '...'")

    base = Path(output).resolve().parent if output else Path.cwd()
    ws_rel = Path(os.path.relpath(source.workspace.resolve(), base)).as_posix()
    try:
        document = build_document(
            clips, rules=rules, now=now, name=plan_name, workspace=ws_rel, video_id=source.video_id,
            video_title=content.title,
            media_path=lambda c: c.video.relative_to(source.workspace).as_posix(),
            sha256=lambda c: sha256_file(c.video),
            strict_start=start is not None,
        )
    except CadenceError as exc:
        raise UserError(str(exc)) from exc

    providers = {ref: cfg.provider for ref, cfg in (rules.channels or {}).items() if cfg.provider}
    for post in document["posts"]:
        for ref in post["channels"]:
            ov = post.get("overrides", {}).get(ref, {})
            for msg in caption_warnings(ov.get("caption", post["caption"]), providers.get(ref)):
                warn(f"clip {post['clip']} on {ref}: {msg}")

    cmd = _command_line(workspace, {
        "--video": video, "--rules": rules_file, "--start": start, "--interval": interval,
        "--channels": channels, "--timezone": timezone, "--order": order, "--max-per-day": max_per_day,
        "--include-uncaptioned": include_uncaptioned, "--caption-template": caption_template,
        "--name": name, "-o": output,
    })
    target = output or "PLAN.yaml"
    posts = document["posts"]
    header = "\n".join([
        f"cliper-sched plan {plan_name!r}: {len(posts)} posts from CLIPER video {source.video_id!r}",
        f"made by: {cmd}",
        f"first post {posts[0]['at']}, last post {posts[-1]['at']} ({document['timezone']})",
        "Review it, edit it by hand if you like, commit it to git, then:",
        f"  cliper-sched validate {shlex.quote(target)}",
        f"  cliper-sched apply {shlex.quote(target)}     (a second apply changes nothing)",
    ])
    text = dump_plan(document, header)
    if output:
        atomic_write_text(output, text)
        click.echo(f"Wrote {output}: {len(posts)} posts.", err=True)
    else:
        click.echo(text, nl=False)
    return 0
