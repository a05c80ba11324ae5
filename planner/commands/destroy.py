"""`cliper-sched destroy PLAN…`: delete every unpublished post the plans own."""

from __future__ import annotations

import click

from planner.commands import planargs, runview
from planner.commands.approval import require_yes
from planner.commands.connection import postiz_options
from planner.commands.options import lock_timeout_option, target_option, workspace_option
from planner.commands.progress import LineReporter
from planner.errors import EXIT_ERROR, EXIT_OK, EXIT_PARTIAL
from planner.reconcile.runner import Runner, RunReview
from planner.term import paint, safe


@click.command(help="Delete every unpublished post these plans own in Postiz (published ones stay). PLAN: plan "
               "files or folders of them.")
@click.argument("plans", metavar="PLAN...", nargs=-1, required=True, type=click.Path())
@workspace_option
@target_option
@click.option("--auto-approve", is_flag=True, help="Do not ask for confirmation.")
@lock_timeout_option
@postiz_options
def command(client, plans, workspace, targets, auto_approve, lock_timeout):
    label = " ".join(plans)

    def show(run: RunReview) -> None:
        text = runview.render_text(run, eta="", destroy=True)
        if not any(r.changes.deletes for r in run.reviews):  # "Postiz matches the plan" would be wrong here
            text = text.replace("No changes. Postiz matches the plan.",
                                "Nothing to destroy: this plan owns no unpublished post in Postiz.")
        click.echo(text)

    def approve(run: RunReview) -> None:
        if not auto_approve:
            require_yes("\nDo you really want to delete these posts from Postiz?",
                        command="destroy", plan_file=label)

    run, result = Runner(client, planargs.expand(plans), workspace=workspace, targets=targets,
                         lock_timeout=lock_timeout).destroy(show=show, approve=approve, reporter=LineReporter())
    ctx = click.get_current_context()
    code = EXIT_ERROR if run.failed else EXIT_OK
    if result.failures:
        click.echo(paint(f"\n{len(result.failures)} post(s) could not be deleted:", "red", True))
        for f in result.failures:
            click.echo(f"  {safe(f.address)}: {safe(f.message)}")
        ctx.exit(runview.worst([code, EXIT_PARTIAL]))
    if any(r.changes.deletes for r in run.reviews):
        click.echo(paint(f"\nDestroy complete! {result.destroyed} destroyed.", "green", True))
    kept = [n for r in run.reviews for n in r.changes.notes if n.kind == "untouched"]
    if kept:  # a post at a planned slot that nothing proves is the plan's: left, and said so
        click.echo(paint(f"{len(kept)} post(s) at this plan's channels and times were left (listed above).",
                         "yellow", True))
        code = runview.worst([code, EXIT_PARTIAL])
    ctx.exit(code)
