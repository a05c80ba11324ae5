"""`cliper-sched plan --update PLAN`: bring what CLIPER makes now into a reviewed plan.

The options are the ones the plan was made with, read back from its header's
`made by:` line (planner.header), with any option given again replacing its
recorded value; the workspace and the video are the plan's `source`. The merge
itself is planner.update, the writing planner.updatefile; this module reads
the inputs, checks the result reads back as a plan, writes it atomically and
says what happened (`file:line` per post, both versions of a conflict).
"""

from __future__ import annotations

import shlex
from dataclasses import fields, replace
from datetime import datetime
from pathlib import Path

import click
from click.core import ParameterSource

from planner import trust
from planner.compose import PlanRequest, overrides_for, plan_from_workspace, rules_for
from planner.errors import Problem, UserError, write_failed
from planner.fsutil import PLAN_MAX_BYTES, atomic_write_text, read_capped
from planner.header import plan_header
from planner.nextslots import next_free_slots
from planner.occupancy import gather
from planner.planfile import Plan, load_plan, read_plan_text
from planner.rules import make_cadence
from planner.term import paint, safe, warn
from planner.update import Merge, Note, merge

# Options that are not part of how the plan is made.
_NOT_RECORDED = {"update", "now_text", "output", "workspace"}
_IN_PLAN_FOLDER = "(run in this file's folder)"


def run_update(plan_arg: str, *, now: datetime) -> int:
    """Called from inside `plan`'s click command: its options are read from the context."""
    ctx = click.get_current_context()
    params = dict(ctx.params)
    given = {k for k in params if ctx.get_parameter_source(k) == ParameterSource.COMMANDLINE}
    plan_path = Path(plan_arg)
    try:
        plan = load_plan(plan_path)
    except UserError as exc:
        raise UserError(problems=exc.problems + [Problem(
            "plan --update needs a plan that reads", hint="fix the problems above, then run it again")]) from exc
    recorded, in_plan_folder = _recorded_options(plan_path)
    options = {**recorded, **{k: v for k, v in params.items() if k in given}}
    request = _request(plan, plan_path, options, given, in_plan_folder, params.get("output"))
    out_path = Path(request.output or plan_path)
    rules = rules_for(request, lambda _message: None)  # its warnings come with the plan below
    # CLIPER's posts now; their times are not used (posts keep theirs, new clips come after).
    document, _ = plan_from_workspace(replace(request, start=None), now=now, plan_file=None, warn=warn)
    video_id, name = document["source"]["video"], document["name"]
    channels = list(rules.channels or {})

    def render(key: str, clip: int | None, caption: str) -> dict:
        return overrides_for(rules, key, clip, caption, video_id=video_id, name=name)

    # New clips keep clear of the other plans, as `plan` itself would (offline: not Postiz).
    others, notes = (None, []) if request.no_avoid else gather(plan_path, avoid=request.avoid)
    for note in notes:
        warn(note)

    def place(kept, count):
        cadence = make_cadence(rules, channels, strict_start=False)
        return next_free_slots(cadence, plan, kept, count, channels, now, rules_file=rules.source, others=others)

    if not plan.generated:
        warn(f"{plan_path} has no `generated:` section (made before plans recorded what plan wrote): "
             "every difference from CLIPER counts as your edit and is kept; it is recorded now, so the "
             "next update tells your edits from CLIPER's")
    result = merge(plan, document["posts"], render=render, place=place, now=now)
    header = _header(plan, request, result, video_id, out_path)
    new_command = bool(given - _NOT_RECORDED)
    from planner.updatefile import merged_text  # ruamel: only when a plan is written

    text = merged_text(plan_path, result, header, new_command=new_command)
    merged, problems = read_plan_text(out_path, text.lstrip("\ufeff"))
    if merged is None or any(p.severity == "error" for p in problems):
        raise UserError(problems=problems + [Problem("the merged plan does not read back: nothing was written "
                                                     "(a bug: please report it with the plan)", file=str(out_path))])
    before = read_capped(plan_path, PLAN_MAX_BYTES, "the plan file")
    _report(result, plan, merged)
    if out_path == plan_path and text.encode("utf-8") == before:
        click.echo(f"{safe(str(plan_path))}: up to date with CLIPER; nothing changed.", err=True)
        return 0
    try:
        atomic_write_text(out_path, text)
    except OSError as exc:
        raise write_failed(str(out_path), "the plan", exc, "nothing was written") from exc
    click.echo(f"Wrote {safe(str(out_path))}: {_summary(result)}.", err=True)
    _sync_editor_schema(out_path)
    return 0


def _sync_editor_schema(plan_file: Path) -> None:
    # The plan may now hold `generated:`: an editor schema from before would flag it.
    from planner.commands.schema import editor_schema_path, sync_editor_schema

    try:
        sync_editor_schema(plan_file)
    except OSError as exc:
        warn(f"could not write {editor_schema_path(plan_file)} ({exc.strerror or exc}); the plan itself is written")


def _recorded_options(plan_path: Path) -> tuple[dict, bool]:
    """The options of the header's `made by:` command line, parsed by `plan` itself
    ({} when the header has none), and whether its paths are relative to the plan's folder."""
    from planner.commands.plan import command as plan_command

    text = read_capped(plan_path, PLAN_MAX_BYTES, "the plan file").decode("utf-8-sig", "replace")
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        if line.startswith("# made by") and "cliper-sched plan " in line:
            typed = line.split("cliper-sched plan ", 1)[1]
            try:
                argv = shlex.split(typed)
                ctx = plan_command.make_context("plan", argv)
            except (ValueError, click.ClickException) as exc:
                raise UserError(f"the command line in the header (`made by:`) cannot be read again: {exc}",
                                file=str(plan_path), hint="give the options again on this command line, e.g. "
                                "`cliper-sched plan --update PLAN --rules rules.yaml`") from exc
            return {k: v for k, v in ctx.params.items() if v is not None and k not in _NOT_RECORDED}, \
                _IN_PLAN_FOLDER in line.split(":", 1)[0]
    return {}, False


def _request(plan: Plan, plan_path: Path, options: dict, given: set[str], in_plan_folder: bool,
             output: str | None) -> PlanRequest:
    workspace = _workspace(plan, plan_path, options.get("workspace") if "workspace" in given else None)
    rules_file = options.get("rules_file")
    if rules_file and "rules_file" not in given:
        rules_file = _recorded_path(rules_file, plan_path, in_plan_folder)
    known = {f.name for f in fields(PlanRequest)}
    values = {k: v for k, v in options.items() if k in known and k not in {"workspace", "rules_file", "output"}}
    values["video"] = options.get("video") if "video" in given else (plan.source.get("video") or options.get("video"))
    return PlanRequest(workspace=str(workspace), rules_file=rules_file, output=output or str(plan_path), **values)


def _workspace(plan: Plan, plan_path: Path, typed: str | None) -> Path:
    """The workspace to read: the one typed now, else the plan's (which must be one the plan may name)."""
    if typed is not None:
        return Path(typed)
    if plan.workspace is None:
        raise UserError("the plan names no workspace (source.workspace)", file=str(plan_path),
                        hint="give it: cliper-sched plan WORKSPACE --update PLAN")
    if plan.workspace_named_by == "plan":
        out = trust.outside(plan_path, plan.workspace, plan.source.get("workspace"))
        if out is not None:
            where = shlex.quote(str(out.real))
            raise UserError(out.message(), file=str(plan_path), path="source.workspace",
                            hint=f"if it is your CLIPER workspace, give it: cliper-sched plan {where} --update "
                                 f"{shlex.quote(str(plan_path))}, or trust it once: cliper-sched trust {where}")
    return plan.workspace


def _recorded_path(text: str, plan_path: Path, in_plan_folder: bool) -> str:
    """A path of the header's command line: relative to where `plan` ran, which was the
    plan's folder when the header says so; else tried from here, then from the plan's folder."""
    path = Path(text).expanduser()
    tries = [path] if path.is_absolute() else (
        [plan_path.parent / path] if in_plan_folder else [path, plan_path.parent / path])
    found = next((p for p in tries if p.exists()), None)
    if found is None:
        raise UserError(f"the rules file {text} the plan was made with is not found (from here or from "
                        "the plan's folder)", file=str(plan_path),
                        hint="run from the folder the plan was made in, or give --rules FILE again")
    return str(found)


def _header(plan: Plan, request: PlanRequest, result: Merge, video_id: str, out_path: Path) -> str:
    """The header `plan` would write for the merged plan (its summary lines are used)."""
    raw = plan.document.data["posts"] if plan.document else []
    posts = [{"at": str(p["at"])} for p in raw if p["key"] not in result.removed]
    posts += [{"at": p["at"]} for p in result.added]
    if not posts:
        return ""
    summary = {"name": plan.name, "timezone": plan.timezone.key, "posts": posts}
    return plan_header(request.workspace, request.typed_options(video_id), summary, video_id=video_id,
                       plan_file=out_path)


def _report(result: Merge, before: Plan, after: Plan) -> None:
    """Each note as `file:line: posts[i].field: key: what`, conflicts with both versions."""
    for note in result.notes:
        plan = before if note.kind == "removed" else after
        click.echo(_where(plan, note) + _label(note) + safe(f"{note.key}: {note.message}"), err=True)
        if note.yours is not None:
            click.echo(f"    yours:  {_quoted(note.yours)}", err=True)
            click.echo(f"    CLIPER: {_quoted(note.cliper or '')}", err=True)


def _where(plan: Plan, note: Note) -> str:
    index = next((p.index for p in plan.posts if p.key == note.key), None)
    if index is None:
        return f"{safe(str(plan.path))}: "
    path = f"posts[{index}]" + (f".{note.path}" if note.path else "")
    line = plan.line_of(path) or plan.line_of(f"posts[{index}]")
    return f"{safe(str(plan.path))}:{line}: {path}: " if line else f"{safe(str(plan.path))}: {path}: "


def _label(note: Note) -> str:
    if note.kind == "conflict":
        return paint("conflict: ", "red", True, stream=click.get_text_stream("stderr"))
    return ""


def _quoted(text: str) -> str:
    return '"' + safe(text).replace('"', '\\"') + '"'


def _summary(result: Merge) -> str:
    counts = {kind: sum(1 for n in result.notes if n.kind == kind)
              for kind in ("added", "removed", "conflict")}
    updated = len(result.edits)
    parts = [f"{counts['added']} added", f"{updated} updated", f"{counts['removed']} removed"]
    if counts["conflict"]:
        parts.append(f"{counts['conflict']} conflict(s), yours kept")
    return ", ".join(parts)
