"""`cliper-sched apply PLAN`: make Postiz match the plan, touching only what differs."""

from __future__ import annotations

import sys
import time

import click

from planner.commands import views
from planner.commands.approval import require_yes
from planner.commands.connection import postiz_options
from planner.commands.options import (
    eta_text,
    rate_info,
    rate_option,
    save_budget,
    setup_budget,
    workspace_option,
)
from planner.commands.progress import LineReporter
from planner.errors import EXIT_BUDGET, EXIT_INTERRUPTED, EXIT_OK, EXIT_PARTIAL
from planner.reconcile.executor import Result
from planner.reconcile.manager import Manager, Review
from planner.term import is_interactive, safe
from planner.textsafe import json_text


@click.command(help="Make Postiz match the plan: create, update and delete only what changed.")
@click.argument("plan_file", metavar="PLAN", type=click.Path(dir_okay=False))
@workspace_option
@click.option("--auto-approve", is_flag=True, help="Do not ask for confirmation.")
@click.option("--overwrite-drift", is_flag=True, help="Restore the plan's version of posts edited in the dashboard.")
@click.option("--allow-past", is_flag=True, help="Allow creating/editing posts whose time is past (Postiz publishes them at once).")
@click.option("--allow-mass-delete", is_flag=True, help="Allow deleting more than 30% of the posts the plan owns.")
@click.option("--wait/--no-wait", default=None,
              help="When the rate-limit budget is spent: wait with a countdown (default on a terminal) "
              "or stop with exit code 3 (default otherwise).")
@click.option("--json", "as_json", is_flag=True, help="Print the plan and the result as JSON (needs --auto-approve).")
@rate_option
@postiz_options
def command(client, plan_file, workspace, auto_approve, overwrite_drift, allow_past, allow_mass_delete,
            wait, as_json, rate_limit):
    if as_json and not auto_approve:
        raise click.UsageError("--json needs --auto-approve (there is no one to answer the question)")
    if wait is None:
        wait = is_interactive(sys.stdout) and is_interactive(sys.stdin)
    setup_budget(client, rate_limit)

    def show(review: Review) -> None:
        for note in review.notes:
            click.echo(safe(note), err=as_json)
        if not as_json:
            click.echo(views.render(review.changes, tz=review.tz, counted=review.counted,
                                    eta=eta_text(review.eta, client)))

    def approve(review: Review) -> None:
        if not auto_approve:
            require_yes("\nDo you want to perform these actions?\n"
                        "  cliper-sched will perform the actions described above.",
                        command="apply", plan_file=str(plan_file), verb="approve")
        if not as_json:
            click.echo("")

    review, result = Manager(client, plan_file, workspace=workspace).apply(
        show=show, approve=approve, reporter=LineReporter(err=as_json), wait=wait,
        settle=_settle, save_budget=lambda: save_budget(client), overwrite_drift=overwrite_drift,
        allow_past=allow_past, allow_mass_delete=allow_mass_delete)
    if as_json:
        click.echo(json_text({"plan": views.data(review.changes, counted=review.counted, eta_seconds=review.eta,
                                                  rate_limit=rate_info(client),
                                                  settings_listed=review.settings_listed),
                               "result": result.data()}, indent=2, default=str))
    else:
        views.apply_summary(result, plan_file, review.changes.has_changes)
    blocked = sum(1 for n in review.changes.notes if n.kind == "unproven")
    click.get_current_context().exit(EXIT_PARTIAL if blocked and _exit_code(result) == EXIT_OK
                                     else _exit_code(result))


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
