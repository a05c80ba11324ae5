"""`cliper-sched destroy PLAN`: delete every unpublished post the plan owns."""

from __future__ import annotations

import click

from planner.commands import views
from planner.commands.approval import require_yes
from planner.commands.connection import postiz_options
from planner.commands.options import workspace_option
from planner.commands.progress import LineReporter
from planner.errors import EXIT_OK, EXIT_PARTIAL
from planner.reconcile.manager import Manager, Review
from planner.term import paint, safe


@click.command(help="Delete every unpublished post this plan owns in Postiz (published ones stay).")
@click.argument("plan_file", metavar="PLAN", type=click.Path(dir_okay=False))
@workspace_option
@click.option("--auto-approve", is_flag=True, help="Do not ask for confirmation.")
@postiz_options
def command(client, plan_file, workspace, auto_approve):
    def show(review: Review) -> None:
        text = views.render(review.changes, tz=review.tz)
        if not review.changes.deletes:  # "Postiz matches the plan" would be wrong here
            text = text.replace("No changes. Postiz matches the plan.",
                                "Nothing to destroy: this plan owns no unpublished post in Postiz.")
        click.echo(text)

    def approve(review: Review) -> None:
        if not auto_approve:
            require_yes("\nDo you really want to delete these posts from Postiz?",
                        command="destroy", plan_file=str(plan_file))

    review, result = Manager(client, plan_file, workspace=workspace).destroy(
        show=show, approve=approve, reporter=LineReporter())
    ctx = click.get_current_context()
    if result.failures:
        click.echo(paint(f"\n{len(result.failures)} post(s) could not be deleted:", "red", True))
        for f in result.failures:
            click.echo(f"  {safe(f.address)}: {safe(f.message)}")
        ctx.exit(EXIT_PARTIAL)
    if review.changes.deletes:
        click.echo(paint(f"\nDestroy complete! {result.destroyed} destroyed.", "green", True))
    kept = [n for n in review.changes.notes if n.kind == "untouched"]
    if kept:  # a post at a planned slot that nothing proves is the plan's: left, and said so
        click.echo(paint(f"{len(kept)} post(s) at this plan's channels and times were left (listed above).",
                         "yellow", True))
        ctx.exit(EXIT_PARTIAL)
    ctx.exit(EXIT_OK)
