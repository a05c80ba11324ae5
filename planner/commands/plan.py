"""`cliper-sched plan`: CLIPER output + cadence rules -> a YAML plan on stdout or -o FILE."""

from __future__ import annotations

import io
import os
import shlex
import stat
import sys
from datetime import UTC, datetime
from pathlib import Path

import click

from planner.cadence import ORDERS, CadenceError
from planner.cliper.locate import find_videos, pick_video
from planner.cliper.reader import read_video
from planner.errors import Problem, UserError, write_failed
from planner.fsutil import atomic_write_text, sha256_file
from planner.planfile import dump_plan
from planner.providers import PROVIDERS, default_settings, missing_settings
from planner.rules import (
    ChannelRule,
    Rules,
    build_document,
    check_rules,
    key_for,
    load_rules,
    render_template,
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


PATH_FLAGS = ("--rules", "-o")


def _absolute(path: str | os.PathLike) -> Path:
    return Path(os.path.abspath(os.path.expanduser(path)))


def shown_path(path: str | os.PathLike, base: Path) -> str | None:
    """`path` for a file meant for git: relative to `base`, or `~/...`; None when
    only the machine's absolute path would do (/tmp/x seen from /work/repo)."""
    full, base = _absolute(path), _absolute(base)
    if full.is_relative_to(base) and base != Path(base.anchor):  # from /, "tmp/x" is /tmp/x
        return full.relative_to(base).as_posix() or "."
    home = Path.home()
    if full.is_relative_to(home) and not base.is_relative_to(home):
        return "~/" + full.relative_to(home).as_posix()
    try:
        if os.path.commonpath([full, base]) == full.anchor:  # would climb to the root: a machine path
            return None
        return Path(os.path.relpath(full, base)).as_posix()
    except ValueError:  # another drive on Windows
        return None


def _quote_path(text: str) -> str:
    # shlex would quote the ~ too, and then the shell would not expand it.
    return "~/" + shlex.quote(text[2:]) if text.startswith("~/") else shlex.quote(text)


def header_paths(paths: list[str | os.PathLike], plan_file: Path | None) -> tuple[str, dict]:
    """(how to read them, {path: shown}) for the header: relative to the current
    folder when that works for every path, else to the plan's own folder."""
    bases = [("", Path.cwd())]
    if plan_file is not None:
        bases.append((" (run in this file's folder)", _absolute(plan_file).parent))
    for note, base in bases:
        shown = {p: shown_path(p, base) for p in paths}
        if all(v is not None for v in shown.values()):
            return note, {p: _quote_path(v) for p, v in shown.items()}
    # Nothing in common with either folder: elide the machine part rather than commit it.
    return bases[-1][0], {p: _quote_path(v if v is not None else ".../" + Path(p).name) for p, v in shown.items()}


def _command_line(workspace: str, opts: dict, shown: dict) -> str:
    parts = ["cliper-sched", "plan", shown[workspace]]
    for flag, value in opts.items():
        if value is None or value is False:
            continue
        if value is True:
            parts.append(flag)
        else:
            parts += [flag, shown[value] if flag in PATH_FLAGS else shlex.quote(str(value))]
    return " ".join(parts)


def stdout_file() -> Path | None:
    """The file stdout is redirected to (`plan ... > plans/ep12.yaml`), when it is one."""
    try:
        fd = sys.stdout.fileno()
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            return None
        target = Path(os.readlink(f"/proc/self/fd/{fd}"))  # Linux; elsewhere: unknown
        return target if os.path.samestat(target.stat(), st) else None
    except (OSError, ValueError, AttributeError, io.UnsupportedOperation):
        return None


@click.command("plan")
@click.argument("workspace", type=click.Path(path_type=str))
@click.option("--video", help="Which video to plan when the workspace holds several: its output/<video>/ folder "
              "name, or any part of it no other video has (case-insensitive), e.g. 'ep 12' or the YouTube id.")
@click.option("--start", help="First post time, 'YYYY-MM-DD HH:MM' in --timezone. Default: the first slot after now.")
@click.option("--interval", help="Time between posts: a number and m, h, d or w (e.g. 4h, 1d). d and w keep "
              "the wall-clock time across DST changes; m and h are elapsed time.")
@click.option("--channels", "channels", help="Comma-separated channel names or integration ids, e.g. tiktok-main,youtube-shorts.")
@click.option("--timezone", help="IANA time zone, e.g. America/Mexico_City (default: the rules file's, else UTC). "
              "A time skipped by a DST change (02:30 when clocks jump to 03:00) posts at 03:30 that day; "
              "a time that happens twice posts once, the first time.")
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
    if video is not None and video != source.video_id:
        warn(f"--video {shlex.quote(video)}: planning {source.video_id!r}")
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
    if not clips:
        raise UserError(f"{shown_folder}: no clip has both a video and a caption; nothing to schedule",
                        hint="run CLIPER's caption step, or use --include-uncaptioned --caption-template '...'")

    # Where the plan lands decides what source.workspace is relative to.
    plan_file = Path(output) if output else stdout_file()
    base = plan_file.resolve().parent if plan_file else Path.cwd()
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
    unset: dict[tuple[str, str], int] = {}
    for post in document["posts"]:
        for ref in post["channels"]:
            ov = post.get("overrides", {}).get(ref, {})
            caption = ov.get("caption", post["caption"])
            for msg in caption_warnings(caption, providers.get(ref)):
                warn(f"clip {post['clip']} on {ref}: {msg}")
            if providers.get(ref) in PROVIDERS:
                settings = {**default_settings(providers[ref], caption), **rules.channels[ref].settings,
                            **ov.get("settings", {})}
                for msg in missing_settings(providers[ref], settings):
                    unset[(ref, msg)] = unset.get((ref, msg), 0) + 1
    # Written anyway (the plan is meant to be edited), but said now, not at validate time.
    for (ref, msg), count in unset.items():
        warn(f"{ref}: {msg} ({count} of {len(document['posts'])} posts): set it under channels.{ref}.settings "
             "in the rules file, or in the plan, before `cliper-sched validate`")

    opts = {
        "--video": source.video_id if video else None, "--rules": rules_file, "--start": start,
        "--interval": interval, "--channels": channels, "--timezone": timezone, "--order": order,
        "--max-per-day": max_per_day, "--include-uncaptioned": include_uncaptioned,
        "--caption-template": caption_template, "--name": name, "-o": output,
    }
    paths = [workspace] + [opts[f] for f in PATH_FLAGS if opts[f]]
    note, shown = header_paths(paths + ([plan_file] if plan_file else []), plan_file)
    cmd = _command_line(workspace, opts, shown)
    target = shown[plan_file] if plan_file else "PLAN.yaml"
    posts = document["posts"]
    header = "\n".join([
        f"cliper-sched plan {plan_name!r}: {len(posts)} posts from CLIPER video {source.video_id!r}",
        f"made by{note}: {cmd}",
        f"first post {posts[0]['at']}, last post {posts[-1]['at']} ({document['timezone']})",
        f"Review it, edit it by hand if you like, commit it to git, then{' (in this folder)' if note else ''}:",
        f"  cliper-sched validate {target}",
        f"  cliper-sched apply {target}     (a second apply changes nothing)",
    ])
    text = dump_plan(document, header)
    if output:
        try:
            atomic_write_text(output, text)
        except OSError as exc:  # name the file the user asked for, not the temp file beside it
            raise write_failed(output, "the plan", exc, "nothing was written") from exc
        click.echo(f"Wrote {output}: {len(posts)} posts.", err=True)
    else:
        click.echo(text, nl=False)
    return 0
