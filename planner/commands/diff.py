"""`cliper-sched diff PLAN…`: show what apply would change, without changing anything."""

from __future__ import annotations

import click

from planner.commands import planargs, runview
from planner.commands.connection import postiz_options
from planner.commands.options import (
    eta_text,
    rate_info,
    rate_option,
    setup_budget,
    target_option,
    workspace_option,
)
from planner.errors import UserError, write_failed
from planner.fsutil import atomic_write_text
from planner.reconcile import savedset
from planner.reconcile.runner import Runner, RunReview
from planner.term import paint, safe
from planner.textsafe import json_text


@click.command(help="Show what `apply` would change in Postiz (Terraform-style plan). PLAN: plan files or "
               "folders of them (`plans/`), compared in one run.")
@click.argument("plans", metavar="PLAN...", nargs=-1, required=True, type=click.Path())
@workspace_option
@target_option
@click.option("--format", "output_format", type=click.Choice(["text", "json", "markdown"]), default="text",
              show_default=True, help="text for a terminal, json for scripts, markdown for a pull-request comment.")
@click.option("--json", "as_json", is_flag=True, hidden=True, help="Same as --format json.")
@click.option("--full", is_flag=True, help="Text: show whole captions and values, with a line diff of changed captions.")
@click.option("--out", "out_file", type=click.Path(dir_okay=False),
              help="Save the change set to this file; `apply FILE` applies exactly it, or refuses if anything moved.")
@click.option("--detailed-exitcode", is_flag=True,
              help="Exit 0: no changes and no drift, 2: changes or drift (dashboard edits), 1: error.")
@click.option("--overwrite-drift", is_flag=True, help="Show the plan that restores dashboard edits.")
@rate_option
@postiz_options
def command(client, plans, workspace, targets, output_format, as_json, full, out_file, detailed_exitcode,
            overwrite_drift, rate_limit):
    if as_json:
        output_format = "json"
    setup_budget(client, rate_limit)
    run = Runner(client, planargs.expand(plans), workspace=workspace, targets=targets).diff(
        overwrite_drift=overwrite_drift)
    eta = eta_text(run.eta, client)
    if output_format == "json":
        _notes(run, err=True)
        click.echo(json_text(runview.data(run, rate_limit=rate_info(client)), indent=2, default=str))
    elif output_format == "markdown":
        _notes(run, err=True)
        # The limit and where it comes from, as the text view words it ("30/h, assumed: ...").
        rate = eta_text(0, client).removeprefix("within the current budget at ")
        failures = [(p.label, runview.error_text(p)) for p in run.failed]
        from planner.commands import markdown  # only for --format markdown

        click.echo(markdown.render(run.reviews, failures=failures, totals={
            "counted": run.counted, "counted_min": run.counted, "eta_seconds": run.eta, "rate": rate}))
    else:
        if run.single:
            _notes(run, err=False)
        click.echo(runview.render_text(run, eta=eta, full=full))
    if out_file:
        _save(run, out_file, targets=list(targets), overwrite_drift=overwrite_drift, workspace=workspace,
              client=client)
    code = runview.review_exit(run, detailed=detailed_exitcode)
    if code == 2 and output_format == "text":
        click.echo(f"(exit 2: {runview.detailed_reason(run)})", err=True)
    click.get_current_context().exit(code)


def _notes(run: RunReview, *, err: bool) -> None:
    """The plans' notes (a new id, ignored state entries); with json and markdown on
    stderr, so the output stays whole for a pipe."""
    for p in run.plans:
        for note in p.review.notes if p.review is not None else ():
            click.echo(safe(note) if run.single else f"{safe(p.label)}: {safe(note)}", err=err)
        if p.review is None and err:
            click.echo(paint("Error: ", "red", True) + runview.error_text(p), err=True)


def _save(run: RunReview, out_file: str, *, targets: list[str], overwrite_drift: bool, workspace: str | None,
          client) -> None:
    if run.failed:
        raise UserError("the change set was not saved: some plans could not be compared (above)", file=out_file,
                        hint="fix them, or leave them out of the command, and run diff --out again")
    datas = [runview.data(RunReview([p]), rate_limit=rate_info(client)) for p in run.plans]
    doc = savedset.build(run, targets=targets, overwrite_drift=overwrite_drift, workspace=workspace,
                         changes_data=datas)
    try:
        atomic_write_text(out_file, json_text(doc, indent=2, default=str) + "\n")
    except OSError as exc:
        raise write_failed(out_file, "the change set", exc, "nothing was written") from None
    click.echo(f"Saved the change set to {safe(out_file)}: apply it with `cliper-sched apply {safe(out_file)}`.",
               err=True)
