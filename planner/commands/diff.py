"""`cliper-sched diff PLAN`: show what apply would change, without changing anything."""

from __future__ import annotations

import click

from planner.commands import views
from planner.commands.connection import postiz_options
from planner.commands.options import (
    eta_text,
    rate_info,
    rate_option,
    setup_budget,
    workspace_option,
)
from planner.errors import EXIT_CHANGES, EXIT_OK
from planner.reconcile.manager import Manager
from planner.term import safe
from planner.textsafe import json_text


@click.command(help="Show what `apply` would change in Postiz (Terraform-style plan).")
@click.argument("plan_file", metavar="PLAN", type=click.Path(dir_okay=False))
@workspace_option
@click.option("--json", "as_json", is_flag=True, help="Print the plan as JSON.")
@click.option("--detailed-exitcode", is_flag=True, help="Exit 0: no changes, 2: changes, 1: error.")
@click.option("--overwrite-drift", is_flag=True, help="Show the plan that restores dashboard edits.")
@rate_option
@postiz_options
def command(client, plan_file, workspace, as_json, detailed_exitcode, overwrite_drift, rate_limit):
    setup_budget(client, rate_limit)
    review = Manager(client, plan_file, workspace=workspace).diff(overwrite_drift=overwrite_drift)
    for note in review.notes:
        click.echo(safe(note), err=as_json)
    if as_json:
        click.echo(json_text(views.data(review.changes, counted=review.counted, eta_seconds=review.eta,
                                         rate_limit=rate_info(client), settings_listed=review.settings_listed),
                             indent=2, default=str))
    else:
        click.echo(views.render(review.changes, tz=review.tz, counted=review.counted,
                                eta=eta_text(review.eta, client)))
    code = EXIT_CHANGES if detailed_exitcode and review.changes.has_changes else EXIT_OK
    click.get_current_context().exit(code)
