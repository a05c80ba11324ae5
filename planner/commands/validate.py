"""`cliper-sched validate PLAN...`: offline checks; exit 1 on any error."""

from __future__ import annotations

import click

from planner import clock
from planner.commands import planargs
from planner.term import paint
from planner.textsafe import json_text
from planner.validate import check_across, validated


@click.command("validate")
@click.argument("plans", nargs=-1, required=True, type=click.Path(path_type=str))
@click.option("--workspace", type=click.Path(file_okay=False, path_type=str),
              help="The CLIPER workspace the media paths are relative to (default: the plan's source.workspace; also CLIPER_WORKSPACE).")
@click.option("--json", "as_json", is_flag=True, help="Print the problems as JSON on stdout.")
@click.option("--now", "now_text", hidden=True, help="Pretend it is this moment (ISO 8601); also CLIPER_SCHED_NOW.")
def command(plans, workspace, as_json, now_text):
    """Check plan files offline: schema, media files and checksums, caption
    lengths and required settings per provider, past times, two posts on one
    channel in the same minute, duplicate keys, '<' or '>' in captions; and
    across every plan given, two posts on one channel in the same minute and days
    over a plan's cadence.max_per_day (channels matched by the name or id written).

    Exit code 0 when there are no errors (warnings allowed), 1 otherwise.
    """
    now = clock.now(now_text)
    plans = [str(p) for p in planargs.expand(plans)]  # files, or folders of plan files
    problems = []
    loaded = []
    for plan in plans:
        found, problems_of = validated(plan, workspace=workspace, now=now)
        problems.extend(problems_of)
        if found is not None:
            loaded.append(found)
    problems.extend(check_across(loaded))  # the plans side by side: shared channels' minutes and days
    errors = [p for p in problems if p.severity == "error"]
    warnings = [p for p in problems if p.severity != "error"]
    if as_json:
        click.echo(json_text({"ok": not errors, "files": list(plans), "errors": len(errors),
                               "warnings": len(warnings), "problems": [p.as_dict() for p in problems]},
                              indent=2))
    else:
        for p in problems:
            label = paint("error: ", "red", True) if p.severity == "error" else paint("warning: ", "yellow", True)
            click.echo(label + p.render(), err=True)
        summary = f"{len(plans)} plan(s): {len(errors)} error(s), {len(warnings)} warning(s)"
        click.echo(summary if not errors else paint(summary, "red"), err=bool(errors))
    return 1 if errors else 0
