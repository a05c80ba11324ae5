"""`cliper-sched import PLAN`: rebuild a lost state file from the posts in Postiz.

Live posts are matched to the plan's addresses by our marker in their settings,
else by channel + instant + stored content; each live post is adopted at most
once, so nothing is duplicated and nothing unowned is claimed by accident.
"""

from __future__ import annotations

import click

from planner.errors import UserError
from planner.postiz.options import postiz_options
from planner.reconcile import manager
from planner.reconcile.cliopts import workspace_option
from planner.reconcile.state import Lock


@click.command(help="Rebuild a lost state file by matching the posts already in Postiz.")
@click.argument("plan_file", metavar="PLAN", type=click.Path(dir_okay=False))
@workspace_option
@click.option("--force", is_flag=True, help="Replace an existing state file.")
@postiz_options
def command(client, plan_file, workspace, force):
    path = manager.state_path(plan_file)
    with Lock(path):
        if path.exists() and not force:
            raise UserError("a state file already exists for this plan", file=str(path),
                            hint="`cliper-sched apply` already adopts posts it finds; to rebuild the "
                            "state from scratch anyway, re-run with --force")
        ctx = manager.prepare(plan_file, client, workspace=workspace, by_content=True, ignore_state=True)
        found = {"marker": 0, "content": 0}
        for entry in ctx.entries:
            if entry.adopted and entry.owned is not None:
                ctx.state.posts[entry.address] = entry.owned
                found[entry.adopted] += 1
        missing = [e.address for e in ctx.entries if e.desired is not None and e.owned is None]
        ctx.state.journal = []
        ctx.state.save()
    click.echo(f"Imported {found['marker'] + found['content']} post(s) into {path} "
               f"({found['marker']} by marker, {found['content']} by channel + time + content).")
    if missing:
        click.echo(f"{len(missing)} planned post(s) are not in Postiz; `cliper-sched apply` will create them:")
        for address in missing[:20]:
            click.echo(f"  {address}")
        if len(missing) > 20:
            click.echo(f"  … and {len(missing) - 20} more")
