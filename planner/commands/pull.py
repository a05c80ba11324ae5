"""`cliper-sched pull PLAN`: keep dashboard edits by writing them into the plan file."""

from __future__ import annotations

import click

from planner.commands.connection import postiz_options
from planner.commands.options import lock_timeout_option, workspace_option
from planner.reconcile.manager import Manager
from planner.term import safe


@click.command(help="Write posts edited in the Postiz dashboard back into the plan file (comments kept).")
@click.argument("plan_file", metavar="PLAN", type=click.Path(dir_okay=False))
@workspace_option
@click.option("--dry-run", is_flag=True, help="Show what would be written, change nothing.")
@lock_timeout_option
@postiz_options
def command(client, plan_file, workspace, dry_run, lock_timeout):
    done = Manager(client, plan_file, workspace=workspace, lock_timeout=lock_timeout).pull(dry_run=dry_run)
    if not done.pulled:
        click.echo("Nothing to pull: no post was changed in Postiz since the last apply.")
        return
    for p in done.pulled:
        click.echo(f"  {safe(p.address)}: {safe(p.what)}")
    if dry_run:
        click.echo("(dry run: nothing written)")
        return
    click.echo(f"Pulled {len(done.pulled)} dashboard change(s) into {plan_file}. Review with `git diff` and commit.")
