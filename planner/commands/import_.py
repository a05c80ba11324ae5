"""`cliper-sched import PLAN`: rebuild a lost state file from the posts in Postiz.

Live posts are matched to the plan's addresses by our marker in their settings,
else by channel + instant + stored content; each live post is adopted at most
once, so nothing is duplicated and nothing unowned is claimed by accident.
`--match-time` also takes the single unmarked post at a planned channel + time
(a caption edited in the dashboard, on a server that lists no marker), listed
so the user can check each one.
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
@click.option("--match-time", is_flag=True,
              help="Also adopt the only unmarked post at a planned channel + time even when its caption "
              "differs (edited in the dashboard); each is listed for review.")
@postiz_options
def command(client, plan_file, workspace, force, match_time):
    path = manager.state_path(plan_file)
    with Lock(path):
        if path.exists() and not force:
            raise UserError("a state file already exists for this plan", file=str(path),
                            hint="`cliper-sched apply` already adopts posts it finds; to rebuild the "
                            "state from scratch anyway, re-run with --force")
        ctx = manager.prepare(plan_file, client, workspace=workspace, by_content=True, ignore_state=True,
                              by_time=match_time)
        found = {"marker": 0, "content": 0, "time": 0}
        by_time = []
        for entry in ctx.entries:
            if entry.adopted and entry.owned is not None:
                ctx.state.posts[entry.address] = entry.owned
                found[entry.adopted] += 1
                if entry.adopted == "time":
                    by_time.append(entry)
        missing = [e.address for e in ctx.entries if e.desired is not None and e.owned is None]
        ctx.state.journal = []
        ctx.state.save()
    total = sum(found.values())
    how = f"{found['marker']} by marker, {found['content']} by channel + time + content"
    if match_time:
        how += f", {found['time']} by channel + time only"
    click.echo(f"Imported {total} post(s) into {path} ({how}).")
    for entry in by_time:
        click.echo(f"  {entry.address}: post {entry.live.id}, caption in Postiz: {entry.live.content[:70]!r}")
    if by_time:
        click.echo("  `cliper-sched diff` shows their dashboard edits as drift: `pull` keeps them in the plan, "
                   "`apply --overwrite-drift` restores the plan's version.")
    if missing:
        click.echo(f"{len(missing)} planned post(s) are not in Postiz; `cliper-sched apply` will create them:")
        for address in missing[:20]:
            click.echo(f"  {address}")
        if len(missing) > 20:
            click.echo(f"  … and {len(missing) - 20} more")
