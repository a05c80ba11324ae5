"""`cliper-sched destroy PLAN`: delete every unpublished post the plan owns."""

from __future__ import annotations

import click

from planner.commands.approval import require_yes
from planner.errors import EXIT_OK, EXIT_PARTIAL
from planner.postiz.options import postiz_options
from planner.reconcile import manager, views
from planner.reconcile.cliopts import LineReporter, workspace_option
from planner.reconcile.diff import Delete, Plan
from planner.reconcile.executor import Executor
from planner.reconcile.state import Lock
from planner.term import paint


@click.command(help="Delete every unpublished post this plan owns in Postiz (published ones stay).")
@click.argument("plan_file", metavar="PLAN", type=click.Path(dir_okay=False))
@workspace_option
@click.option("--auto-approve", is_flag=True, help="Do not ask for confirmation.")
@postiz_options
def command(client, plan_file, workspace, auto_approve):
    ctx_click = click.get_current_context()
    with Lock(manager.state_path(plan_file)):
        ctx = manager.prepare(plan_file, client, workspace=workspace)
        doomed = Plan(owned_count=ctx.changes.owned_count, notes=[n for n in ctx.changes.notes if n.kind == "published"],
                      state_refresh={a: o for a, o in ctx.changes.state_refresh.items()})
        for e in ctx.entries:
            if e.owned is None:
                continue
            if e.live is None:
                doomed.forget.append(e.address)
            elif not e.live.published:
                doomed.deletes.append(Delete(e.address, e.owned, e.live, reason="destroy"))
        text = views.render(doomed, tz=ctx.tz)
        if not doomed.deletes:  # "Postiz matches the plan" would be wrong here
            text = text.replace("No changes. Postiz matches the plan.",
                                "Nothing to destroy: this plan owns no unpublished post in Postiz.")
        click.echo(text)
        if doomed.deletes and not auto_approve:
            require_yes("\nDo you really want to delete these posts from Postiz?",
                        command="destroy", plan_file=str(plan_file))
        result = Executor(client, ctx.state, wait=False, reporter=LineReporter(),
                          settings_listed=ctx.settings_listed).run(doomed)
    if result.failures:
        click.echo(paint(f"\n{len(result.failures)} post(s) could not be deleted:", "red", True))
        for f in result.failures:
            click.echo(f"  {f.address}: {f.message}")
        ctx_click.exit(EXIT_PARTIAL)
    if doomed.deletes:
        click.echo(paint(f"\nDestroy complete! {result.destroyed} destroyed.", "green", True))
    ctx_click.exit(EXIT_OK)
