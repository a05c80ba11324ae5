"""`cliper-sched plan WORKSPACE --all-videos -o plans/`: one plan per video, in one run.

Every video is planned with the same rules, in folder-name order. Each good plan
is written (atomically) as soon as it is made, to `plans/<file>.yaml`
(planner.planfiles names it); a video that cannot be planned is skipped, and at
the end every problem of every skipped video is said at once, with exit code 1.
Each plan's header repeats the one-video command (`--video ... -o FILE`) that
makes it again.

The plans know each other (planner.occupancy): each video keeps clear of the
plans of the videos before it in this run and of the folder's other plans (and
`--avoid`), never of the stale copies this run is about to replace, so running it
twice gives the same plans.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from pathlib import Path

import click

from planner.cliper.locate import find_videos
from planner.compose import NOTHING_WRITTEN, PlanRequest, plan_video, rules_for
from planner.errors import CliperError, Problem, UserError, write_failed
from planner.fsutil import atomic_write_text
from planner.occupancy import Occupancy, gather
from planner.planfile import dump_plan
from planner.planfiles import plan_file_names, plan_files_in
from planner.term import warn


def refuse_mixed_options(request: PlanRequest) -> None:
    """Options that name one plan make no sense for every video."""
    if request.output is None:
        raise UserError("--all-videos writes one plan file per video: give the folder with -o",
                        hint="e.g. cliper-sched plan WORKSPACE --all-videos -o plans/")
    if Path(request.output).exists() and not Path(request.output).is_dir():
        raise UserError("with --all-videos, -o is a folder, and this is a file", file=request.output,
                        hint="e.g. -o plans/ (created when missing)")
    for flag, value in (("--video", request.video), ("--name", request.name)):
        if value is not None:
            raise UserError(f"{flag} names one plan; --all-videos plans every video, each named after its folder",
                            hint=f"leave out {flag}, or leave out --all-videos to plan one video")
    if request.avoid_live:
        raise UserError("--avoid-live reads Postiz for one plan; --all-videos plans every video",
                        hint="plan each video alone with --video NAME --avoid-live, or leave out --avoid-live")
    if request.no_avoid and request.avoid:
        raise UserError("--no-avoid plans alone; --avoid plans around others", hint="leave out one of the two")
    if request.exclude_clips:
        raise UserError("--exclude-clip names a clip of one video; --all-videos plans every video",
                        hint="plan that video alone: --video NAME --exclude-clip N -o plans/FILE.yaml")


def plan_all_videos(request: PlanRequest, *, now: datetime, write_schema) -> None:
    """Plan and write every video of the workspace; a UserError at the end lists every
    problem of every video that could not be planned."""
    refuse_mixed_options(request)
    rules = rules_for(request, warn)
    if rules.exclude:
        raise UserError("`exclude` names clips of one video; --all-videos plans every video",
                        file=rules.source, path="exclude",
                        line=rules.line_of("exclude") if rules.line_of else None,
                        hint="plan that video alone with --video, or use a rules file without `exclude`")
    folder = Path(request.output or ".")  # refuse_mixed_options made sure it is given
    videos = find_videos(Path(request.workspace))
    names = plan_file_names([v.video_id for v in videos])
    failed: list[tuple[str, list[Problem]]] = []
    written = 0
    around = [] if request.no_avoid else _other_plans(folder, set(names.values()))
    for video in videos:
        plan_file = folder / names[video.video_id]
        # The header repeats the one-video command that makes this plan again.
        one = replace(request, video=video.video_id, output=str(plan_file))
        try:
            occupancy = _occupancy(request, plan_file, around)
            document, header = plan_video(one, rules, video, now=now, plan_file=plan_file, warn=warn,
                                          occupancy=occupancy)
            _write(plan_file, dump_plan(document, header))
            if not request.no_avoid:
                around.append(plan_file)
            for line in occupancy.report() if occupancy is not None else []:
                click.echo(line, err=True)
        except UserError as exc:
            failed.append((video.video_id, [p for p in exc.problems if p is not NOTHING_WRITTEN]))
            continue
        except CliperError as exc:
            failed.append((video.video_id, [Problem(exc.render())]))
            continue
        except OSError as exc:
            failed.append((video.video_id, [Problem(exc.strerror or str(exc), file=exc.filename)]))
            continue
        written += 1
        click.echo(f"Wrote {plan_file}: {len(document['posts'])} posts.", err=True)
    if written:
        write_schema(folder / names[videos[0].video_id])
    if failed:
        raise UserError(problems=_failure_report(failed, len(videos), written))


def _other_plans(folder: Path, targets: set[str]) -> list[Path]:
    """The plan files already in `folder` that this run does not write."""
    return [p for p in plan_files_in(folder) if p.name not in targets]


def _occupancy(request: PlanRequest, plan_file: Path, around: list[Path]) -> Occupancy | None:
    """The slots `around` and --avoid hold, for the plan going to `plan_file`."""
    # The folder's plans are neighbours (a broken one is a warning), not plans named by --avoid.
    occupancy, warnings = gather(plan_file, avoid=request.avoid, folder=False, nearby=around)
    for message in warnings:
        warn(message)
    return occupancy


def _write(plan_file: Path, text: str) -> None:
    try:
        plan_file.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(plan_file, text)
    except OSError as exc:
        raise write_failed(str(plan_file), "the plan", exc, "this plan was not written") from exc


def _failure_report(failed: list[tuple[str, list[Problem]]], total: int, written: int) -> list[Problem]:
    problems: list[Problem] = []
    for video_id, found in failed:
        problems.append(Problem(f"video {video_id!r} not planned ({len(found)} problem"
                                f"{'s' if len(found) != 1 else ''}):"))
        problems += found
    problems.append(Problem(
        f"{len(failed)} of {total} videos not planned"
        + (f"; the plans of the other {written} are written" if written else ""),
        hint="fix the problems above and run plan --all-videos again; --video NAME --exclude-clip N "
             "plans a video without a damaged clip"))
    return problems
