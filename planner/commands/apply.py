"""`cliper-sched apply PLAN…`: make Postiz match the plans, touching only what differs.
`apply changes.json` applies a change set saved by `diff --out`, or refuses."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from planner.commands import planargs, runview, views
from planner.commands.approval import require_yes
from planner.commands.connection import postiz_options
from planner.commands.options import (
    eta_text,
    lock_timeout_option,
    rate_info,
    rate_option,
    save_budget,
    setup_budget,
    target_option,
    workspace_option,
)
from planner.commands.progress import LineReporter
from planner.errors import EXIT_BUDGET, EXIT_ERROR, EXIT_INTERRUPTED, EXIT_OK, EXIT_PARTIAL
from planner.reconcile import savedset
from planner.reconcile.executor import Result
from planner.reconcile.manager import media_url_notes
from planner.reconcile.runner import Runner, RunReview
from planner.term import is_interactive, safe
from planner.textsafe import json_text


@click.command(help="Make Postiz match the plan: create, update and delete only what changed. PLAN: plan files, "
               "folders of them (`plans/`), or one change set saved by `diff --out`.")
@click.argument("plans", metavar="PLAN...", nargs=-1, required=True, type=click.Path())
@workspace_option
@target_option
@click.option("--auto-approve", is_flag=True, help="Do not ask for confirmation.")
@click.option("--overwrite-drift", is_flag=True, help="Restore the plan's version of posts edited in the dashboard.")
@click.option("--allow-past", is_flag=True, help="Allow creating/editing posts whose time is past (Postiz publishes them at once).")
@click.option("--allow-mass-delete", is_flag=True, help="Allow deleting more than 30% of the posts the plan owns.")
@click.option("--wait/--no-wait", default=None,
              help="When the rate-limit budget is spent: wait with a countdown (default on a terminal) "
              "or stop with exit code 3 (default otherwise).")
@click.option("--json", "as_json", is_flag=True, help="Print the plan and the result as JSON (needs --auto-approve).")
@click.option("--full", is_flag=True, help="Show whole captions and values in the plan, with a line diff of changed captions.")
@lock_timeout_option
@rate_option
@postiz_options
def command(client, plans, workspace, targets, auto_approve, overwrite_drift, allow_past, allow_mass_delete,
            wait, as_json, full, lock_timeout, rate_limit):
    if as_json and not auto_approve:
        raise click.UsageError("--json needs --auto-approve (there is no one to answer the question)")
    if wait is None:
        wait = is_interactive(sys.stdout) and is_interactive(sys.stdin)
    saved = None
    if len(plans) == 1 and savedset.looks_saved(plans[0]):
        if targets or workspace:
            raise click.UsageError("a saved change set carries its own --target and --workspace: "
                                   "give them to `diff --out` instead")
        saved = savedset.load(plans[0])
        if saved.overwrite_drift != overwrite_drift:
            # The file says whether dashboard edits are undone; whoever applies it says so too,
            # so a change set made with --overwrite-drift never slips through unnoticed.
            raise click.UsageError(
                f"{plans[0]} was saved with --overwrite-drift (it undoes dashboard edits): apply it with "
                "--overwrite-drift to confirm" if saved.overwrite_drift else
                f"{plans[0]} was saved without --overwrite-drift: run `diff --overwrite-drift --out FILE` "
                "to review that change set instead")
        paths = [Path(p.file) for p in saved.plans]
        targets, overwrite_drift, workspace = tuple(saved.targets), saved.overwrite_drift, saved.workspace
    else:
        paths = planargs.expand(plans)
    setup_budget(client, rate_limit)
    label = " ".join(plans)

    def show(run: RunReview) -> None:
        if as_json:
            for p in run.plans:
                for note in p.review.notes if p.review is not None else ():
                    click.echo(safe(note), err=True)
            return
        if run.single:
            for note in run.reviews[0].notes if run.reviews else ():
                click.echo(safe(note))
        click.echo(runview.render_text(run, eta=eta_text(run.eta, client), full=full))
        if saved is not None:
            click.echo(f"(the change set saved in {safe(str(saved.path))}: plans and Postiz unchanged since)")

    def approve(run: RunReview) -> None:
        if not auto_approve:
            require_yes("\nDo you want to perform these actions?\n"
                        "  cliper-sched will perform the actions described above.",
                        command="apply", plan_file=label, verb="approve")
        if not as_json:
            click.echo("")

    run, result = Runner(client, paths, workspace=workspace, targets=targets, lock_timeout=lock_timeout).apply(
        show=show, approve=approve, reporter=LineReporter(err=as_json), wait=wait,
        settle=_settle, save_budget=lambda: save_budget(client), overwrite_drift=overwrite_drift,
        allow_past=allow_past, allow_mass_delete=allow_mass_delete,
        verify=(lambda r: savedset.verify(saved, r)) if saved is not None else None)
    if as_json:
        out = {"plan": runview.data(run, rate_limit=rate_info(client)), "result": result.data()}
        if not run.single:
            out["results"] = [{"file": p.label, "result": p.result.data() if p.result else None,
                               "error": runview.error_text(p) or None} for p in run.plans]
        click.echo(json_text(out, indent=2, default=str))
    else:
        if run.failed and not run.single:
            click.echo("")
            for p in run.failed:
                click.echo(safe(p.label) + ": " + runview.error_text(p), err=True)
        views.apply_summary(result, label, run.has_changes)
        runview.applied_lines(run, result)
    for review in run.reviews:  # a first upload tells the media URL: said now, not at publish time
        for note in media_url_notes(review.plan, review.channels, review.state):
            if note not in review.notes:
                click.echo(safe(note), err=as_json)
    code = _exit_code(result)
    if code == EXIT_OK and any(n.kind == "unproven" for r in run.reviews for n in r.changes.notes):
        code = EXIT_PARTIAL  # planned posts not created: a post nothing proves is ours holds the slot
    if run.failed:
        code = runview.worst([code, EXIT_ERROR])
    click.get_current_context().exit(code)


def _settle(seconds: float) -> None:
    click.echo(f"An earlier create request got no answer; giving Postiz {views.duration(seconds)} to "
               "finish it before deciding (never re-sent blindly)...")
    time.sleep(seconds)


def _exit_code(result: Result) -> int:
    if result.interrupted:
        return EXIT_INTERRUPTED  # README: 130 is Ctrl-C; 3 is kept for --no-wait
    if result.stopped_until is not None:
        return EXIT_BUDGET
    if result.failures or result.uncertain:
        return EXIT_PARTIAL
    return EXIT_OK
