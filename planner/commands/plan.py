"""`cliper-sched plan`: CLIPER output + cadence rules -> a YAML plan on stdout or -o FILE.

Options in, text out: the plan itself is made by `planner.compose`.
"""

from __future__ import annotations

import os
import shlex
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from planner import clock
from planner.cadence import ORDERS
from planner.commands.schema import editor_schema_path, sync_editor_schema
from planner.compose import PlanRequest, plan_from_workspace
from planner.errors import UserError, write_failed
from planner.fsutil import atomic_write_text
from planner.occupancy import Occupancy, gather
from planner.paths import shown_path, stdout_file
from planner.planfile import dump_plan
from planner.term import warn


@click.command("plan")
@click.argument("workspace", required=False, type=click.Path(path_type=str))
@click.option("--video", help="Which video to plan when the workspace holds several: its output/<video>/ folder "
              "name, or any part of it no other video has (case-insensitive), e.g. 'ep 12' or the YouTube id.")
@click.option("--start", help="First post time, 'YYYY-MM-DD HH:MM' in --timezone. Default: the first slot after now.")
@click.option("--interval", help="Time between posts: a number and m, h, d or w (e.g. 4h, 1d). d and w keep "
              "the wall-clock time across DST changes; m and h are elapsed time.")
@click.option("--window", help="Posting hours, e.g. 09:00-21:00 (wall clock in --timezone, both ends included; "
              "22:00-02:00 crosses midnight): an --interval post that would fall outside moves to the next "
              "opening, and the interval counts again from there. Weekly slots outside it are refused.")
@click.option("--channels", "channels", help="Comma-separated channel names or integration ids, e.g. tiktok-main,youtube-shorts.")
@click.option("--timezone", help="IANA time zone, e.g. America/Mexico_City (default: the rules file's, else UTC). "
              "A time skipped by a DST change (02:30 when clocks jump to 03:00) posts at 03:30 that day; "
              "a time that happens twice posts once, the first time.")
@click.option("--rules", "rules_file", type=click.Path(path_type=str), help="Rules file (weekly slots, daily cap, blackout dates, per-channel settings); flags override it.")
@click.option("--order", type=click.Choice(ORDERS), help="Clip order: CLIPER's, or best first by a CLIPER score.")
@click.option("--max-per-day", type=click.IntRange(min=1), help="At most N posts per day on each channel.")
@click.option("--name", help="Plan name (default: the video id).")
@click.option("-o", "--output", type=click.Path(path_type=str), help="Write the plan to FILE (atomically) instead of stdout, and "
              "the schema its first line points editors at to .schema/plan.json beside it, when missing or out of date. "
              "With --all-videos: the folder the plans go to.")
@click.option("--all-videos", is_flag=True, help="Plan every video of the workspace, one plan file each in the -o "
              "folder, named after the video folder; the videos that cannot be planned are listed with every "
              "problem at the end (exit code 1), the others are written.")
@click.option("--exclude-clip", "exclude_clips", type=click.IntRange(min=1), multiple=True, metavar="N",
              help="Leave clip N out (a damaged clip), without touching CLIPER's files; repeatable. "
              "A clip the video does not have is an error.")
@click.option("--include-uncaptioned", is_flag=True, default=None, help="Also schedule clips without a caption, using --caption-template.")
@click.option("--caption-template", help="Caption for uncaptioned clips, e.g. 'Clip {clip} de {video_title} #clips'.")
@click.option("--provider", "providers", multiple=True, metavar="CHANNEL=PROVIDER",
              help="Record a channel's Postiz provider in the plan (e.g. x-main=x; repeatable), so `validate` "
              "checks caption lengths and settings offline; diff and apply refuse the plan if Postiz disagrees.")
@click.option("--providers-from-postiz", is_flag=True, help="Record every channel's provider as Postiz lists it "
              "(one uncounted read, with POSTIZ_API_URL and POSTIZ_API_KEY); without it plan never goes online.")
@click.option("--avoid", "avoid", multiple=True, metavar="GLOB",
              help="Also plan around these plans (files, folders of them, or a glob such as 'campaigns/*.yaml'; "
              "repeatable), as around the other plans in the -o folder: their posts keep their slots and count "
              "in the daily cap and the minimum gap.")
@click.option("--no-avoid", is_flag=True, help="Plan alone: the other plans in the -o folder take no slot.")
@click.option("--avoid-live", is_flag=True, help="Also plan around the posts already scheduled in Postiz on "
              "these channels (uncounted reads, with POSTIZ_API_URL and POSTIZ_API_KEY).")
@click.option("--update", "update", type=click.Path(dir_okay=False, path_type=str), metavar="PLAN",
              help="Merge what CLIPER makes now into PLAN, keeping your hand edits: new clips go in the next "
              "free slots, captions and videos CLIPER changed are updated unless you edited them (a conflict: "
              "yours is kept), dropped clips are removed unless you edited them, past posts never change. "
              "Options default to the ones in PLAN's header; WORKSPACE to PLAN's source.workspace.")
@click.option("--now", "now_text", hidden=True, help="Pretend it is this moment (ISO 8601); also CLIPER_SCHED_NOW.")
def command(workspace, video, start, interval, window, channels, timezone, rules_file, order, max_per_day, name,
            output, all_videos, exclude_clips, include_uncaptioned, caption_template, now_text,
            providers=(), providers_from_postiz=False, avoid=(), no_avoid=False, avoid_live=False, update=None):
    """Turn CLIPER output into a reviewable YAML posting plan.

    WORKSPACE is a CLIPER workspace (the folder holding output/), an output/
    folder, or one output/<video>/ folder.

    \b
    Examples:
      cliper-sched plan ~/cliper --start "2026-12-01 09:00" --interval 4h \\
          --channels tiktok-main,youtube-shorts --timezone America/Mexico_City > plans/ep12.yaml
      cliper-sched plan ~/cliper --rules rules.yaml --name ep12 -o plans/ep12.yaml
      cliper-sched plan ~/cliper --rules rules.yaml --all-videos -o plans/

    The plan goes to stdout (or -o FILE); warnings and errors go to stderr.
    With an error nothing is written and the exit code is 1.
    """
    now = clock.now(now_text)
    if update is not None:  # re-plan into an existing plan, keeping hand edits
        from planner.commands.plan_update import run_update

        return run_update(update, now=now)
    if workspace is None:
        raise click.UsageError("Missing argument 'WORKSPACE'.")
    request = PlanRequest(workspace=workspace, video=video, rules_file=rules_file, start=start,
                          interval=interval, channels=channels, timezone=timezone, order=order,
                          max_per_day=max_per_day, include_uncaptioned=include_uncaptioned,
                          caption_template=caption_template, name=name, output=output,
                          window=window, exclude_clips=tuple(exclude_clips), providers=tuple(providers),
                          postiz_channels=_postiz_channels() if providers_from_postiz else None,
                          avoid=tuple(avoid), no_avoid=no_avoid, avoid_live=avoid_live)
    if all_videos:
        from planner.commands.plan_all import plan_all_videos

        plan_all_videos(request, now=now, write_schema=_write_editor_schema)
        return 0
    if output and Path(output).is_dir():
        raise UserError("-o names a folder; give the plan file", file=output,
                        hint="e.g. -o plans/ep12.yaml, or add --all-videos to write one plan per video into it")
    try:
        # Where the plan lands decides what its paths are relative to.
        plan_file = Path(output) if output else stdout_file()
        with _occupancy(request, plan_file) as occupancy:
            document, header = plan_from_workspace(request, now=now, plan_file=plan_file, warn=warn,
                                                   occupancy=occupancy)
        text = dump_plan(document, header)
        if output:
            try:
                atomic_write_text(output, text)
            except OSError as exc:  # name the file the user asked for, not the temp file beside it
                raise write_failed(output, "the plan", exc, "nothing was written") from exc
            click.echo(f"Wrote {output}: {len(document['posts'])} posts.", err=True)
            _write_editor_schema(Path(output))
        else:
            click.echo(text, nl=False)
            if plan_file is not None and not editor_schema_path(plan_file).is_file():
                _say_editor_schema_missing(editor_schema_path(plan_file))
    except OSError as exc:  # unreadable folder, unwritable -o target, disk full...
        where = exc.filename or output or workspace
        raise UserError(f"{where}: {exc.strerror or exc}", hint="nothing was written") from exc
    return 0


@contextmanager
def _occupancy(request: PlanRequest, plan_file: Path | None) -> Iterator[Occupancy | None]:
    """The slots other plans (and with --avoid-live Postiz) hold; afterwards, what they took."""
    if request.no_avoid and (request.avoid or request.avoid_live):
        raise UserError("--no-avoid plans alone; --avoid and --avoid-live plan around others",
                        hint="leave out --no-avoid, or the other two")
    client = _live_client() if request.avoid_live else None
    try:
        occupancy, warnings = gather(plan_file, avoid=request.avoid, folder=not request.no_avoid, live=client)
        for message in warnings:
            warn(message)
        yield occupancy
        if occupancy is not None:
            for line in occupancy.report():
                click.echo(line, err=True)
    finally:
        if client is not None:
            client.close()


def _live_client():
    """--avoid-live: a client for the uncounted reads (GET /integrations, GET /posts), set up
    from the environment as --providers-from-postiz is (plan has no connection flags)."""
    from planner.commands.connection import resolve_config
    from planner.postiz.client import PostizClient

    try:
        cfg = resolve_config(None, os.environ.get("POSTIZ_API_KEY_FILE") or None, None)
    except UserError as exc:
        raise UserError(f"--avoid-live reads Postiz: {exc.problems[0].message}",
                        hint="export POSTIZ_API_URL (e.g. http://localhost:5000/api) and POSTIZ_API_KEY "
                             "(or POSTIZ_API_KEY_FILE), or leave out --avoid-live to plan offline") from None
    return PostizClient.from_config(cfg)


def _postiz_channels() -> tuple[tuple[str, str, str], ...]:
    """--providers-from-postiz: (id, name, provider) of every channel, one uncounted GET."""
    from planner.commands.connection import resolve_config
    from planner.postiz.client import PostizClient

    client = PostizClient.from_config(resolve_config(None, None, None))
    try:
        return tuple((c.id, c.name, c.provider) for c in client.list_channels())
    finally:
        client.close()


def _write_editor_schema(plan_file: Path) -> None:
    """The schema the plan's modeline points at, beside it (planner.header): written when
    missing or out of date. The plan is written already: a failure here only warns."""
    try:
        written = sync_editor_schema(plan_file)
    except OSError as exc:
        warn(f"could not write {editor_schema_path(plan_file)} ({exc.strerror or exc}): editors cannot "
             "check the plan as you type; the plan itself is written")
        return
    if written is not None:
        click.echo(f"Wrote {written}: the plan schema editors check it against (commit it too).", err=True)


def _say_editor_schema_missing(schema: Path) -> None:
    # `plan > FILE` writes nothing but stdout; the fix is one command, said once per folder.
    shown = shown_path(schema, Path.cwd()) or str(schema)
    warn(f"{shown} is missing: editors cannot check this plan as you type; write it once with "
         f"`cliper-sched schema plan -o {shlex.quote(shown)}`")
