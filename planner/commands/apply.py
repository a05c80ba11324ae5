"""`cliper-sched apply PLAN`: make Postiz match the plan, touching only what differs."""

from __future__ import annotations

import json
import sys
import time

import click

from planner.commands.approval import require_yes
from planner.errors import EXIT_BUDGET, EXIT_INTERRUPTED, EXIT_OK, EXIT_PARTIAL
from planner.postiz.options import postiz_options
from planner.reconcile import manager, safety, views
from planner.reconcile.cliopts import (
    LineReporter,
    eta_text,
    rate_info,
    rate_option,
    save_budget,
    setup_budget,
    workspace_option,
)
from planner.reconcile.executor import Executor, Result
from planner.reconcile.state import Lock
from planner.term import is_interactive, paint


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
    ctx_click = click.get_current_context()
    if as_json and not auto_approve:
        raise click.UsageError("--json needs --auto-approve (there is no one to answer the question)")
    if wait is None:
        wait = is_interactive(sys.stdout) and is_interactive(sys.stdin)
    setup_budget(client, rate_limit)
    with Lock(manager.state_path(plan_file)):
        ctx = manager.prepare(plan_file, client, workspace=workspace, preflight=True, overwrite_drift=overwrite_drift,
                              settle=_settle)
        changes = ctx.changes
        counted, eta = ctx.cost(client.budget)
        for note in ctx.journal_notes:
            click.echo(note, err=as_json)
        if not as_json:
            click.echo(views.render(changes, tz=ctx.tz, counted=counted, eta=eta_text(eta, client)))
        # Shown first, so a refusal is read next to the changes that caused it.
        safety.check(changes, plan_file=str(plan_file), allow_mass_delete=allow_mass_delete, allow_past=allow_past)
        if changes.has_changes and not auto_approve:
            require_yes("\nDo you want to perform these actions?\n"
                        "  cliper-sched will perform the actions described above.",
                        command="apply", plan_file=str(plan_file), verb="approve")
        reporter = LineReporter(err=as_json)
        executor = Executor(client, ctx.state, wait=wait, reporter=reporter,
                            settings_listed=ctx.settings_listed, save_budget=lambda: save_budget(client))
        if changes.has_changes and not as_json:
            click.echo("")
        result = executor.run(changes)
    if as_json:
        click.echo(json.dumps({"plan": views.data(changes, counted=counted, eta_seconds=eta,
                   rate_limit=rate_info(client)),
                               "result": result.data()}, indent=2, ensure_ascii=False, default=str))
    else:
        _summary(result, plan_file, changes.has_changes)
    ctx_click.exit(_exit_code(result))


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


def _summary(result: Result, plan_file: str, had_changes: bool) -> None:
    counts = f"{result.added} added, {result.changed} changed, {result.destroyed} destroyed."
    if result.stopped_until is not None:
        when = result.stopped_until.astimezone().strftime("%Y-%m-%d %H:%M:%S %Z")
        click.echo("")
        stop = ("Interrupted while waiting for the rate-limit budget." if result.interrupted
                else "Stopped: the rate-limit budget is spent.")
        click.echo(paint(stop, "yellow", True))
        click.echo(f"  Done so far: {counts} (recorded in the state file; nothing will be repeated)")
        click.echo(f"  Remaining: {len(result.remaining)} post(s), e.g. {', '.join(result.remaining[:5])}")
        click.echo(f"  Re-run `cliper-sched apply {plan_file}` after {when} to finish "
                   "(or use --wait to let it wait).")
    if result.failures:
        click.echo("")
        click.echo(paint(f"Postiz refused {len(result.failures)} post(s):", "red", True))
        for f in result.failures:
            click.echo(f"  {f.address} ({f.provider} channel {f.channel!r}): {f.message}")
        click.echo("  Fix these in the plan (or the channel in Postiz) and apply again; the others were applied.")
    if result.uncertain:
        click.echo("")
        click.echo(paint(f"{len(result.uncertain)} post(s) got no clear answer from Postiz:", "yellow", True))
        for address in result.uncertain:
            click.echo(f"  {address}")
        click.echo("  They are journaled: the next apply reads Postiz back first and never sends them twice.")
    if result.stopped_until is None and not result.failures and not result.uncertain:
        if had_changes:
            click.echo("")
            click.echo(paint(f"Apply complete! {counts}", "green", True))
    elif result.added or result.changed or result.destroyed:
        click.echo(f"\nApplied: {counts}")
