"""`cliper-sched plan`: CLIPER output + cadence rules -> a YAML plan on stdout or -o FILE.

Options in, text out: the plan itself is made by `planner.compose`.
"""

from __future__ import annotations

import shlex
from pathlib import Path

import click

from planner import clock
from planner.cadence import ORDERS
from planner.commands.schema import editor_schema_path, sync_editor_schema
from planner.compose import PlanRequest, plan_from_workspace
from planner.errors import UserError, write_failed
from planner.fsutil import atomic_write_text
from planner.paths import shown_path, stdout_file
from planner.planfile import dump_plan
from planner.term import warn


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
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=str), help="Write the plan to FILE (atomically) instead of stdout, and "
              "the schema its first line points editors at to .schema/plan.json beside it, when missing or out of date.")
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
    now = clock.now(now_text)
    request = PlanRequest(workspace=workspace, video=video, rules_file=rules_file, start=start,
                          interval=interval, channels=channels, timezone=timezone, order=order,
                          max_per_day=max_per_day, include_uncaptioned=include_uncaptioned,
                          caption_template=caption_template, name=name, output=output)
    try:
        # Where the plan lands decides what its paths are relative to.
        plan_file = Path(output) if output else stdout_file()
        document, header = plan_from_workspace(request, now=now, plan_file=plan_file, warn=warn)
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
