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

from planner.commands.connection import postiz_options
from planner.commands.options import lock_timeout_option, workspace_option
from planner.reconcile.manager import Manager
from planner.term import safe


@click.command(help="Rebuild a lost state file by matching the posts already in Postiz.")
@click.argument("plan_file", metavar="PLAN", type=click.Path(dir_okay=False))
@workspace_option
@click.option("--force", is_flag=True, help="Replace an existing state file.")
@click.option("--match-time", is_flag=True,
              help="Also adopt the only unmarked post at a planned channel + time even when its caption "
              "differs (edited in the dashboard); each is listed for review.")
@lock_timeout_option
@postiz_options
def command(client, plan_file, workspace, force, match_time, lock_timeout):
    manager = Manager(client, plan_file, workspace=workspace, lock_timeout=lock_timeout)
    done = manager.import_(force=force, match_time=match_time)
    found = done.found
    how = f"{found['marker']} by marker, {found['content']} by channel + time + content"
    if found["legacy"]:
        how += f", {found['legacy']} by an older cliper-sched's marker"
    if match_time:
        how += f", {found['time']} by channel + time only"
    click.echo(f"Imported {sum(found.values())} post(s) into {done.path} ({how}).")
    if manager.plan_id_added:
        click.echo(f"{safe(str(plan_file))}: added `id: {manager.plan_id_added}` (the plan's identity in Postiz): "
                   "commit it with the plan")
    for entry in done.by_time:
        click.echo(f"  {safe(entry.address)}: post {safe(entry.live.id)}, "
                   f"caption in Postiz: {safe(repr(entry.live.content[:70]))}")
    if done.by_time:
        click.echo("  `cliper-sched diff` shows their dashboard edits as drift: `pull` keeps them in the plan, "
                   "`apply --overwrite-drift` restores the plan's version.")
    if done.missing:
        click.echo(f"{len(done.missing)} planned post(s) are not in Postiz; `cliper-sched apply` will create them:")
        for address in done.missing[:20]:
            click.echo(f"  {safe(address)}")
        if len(done.missing) > 20:
            click.echo(f"  … and {len(done.missing) - 20} more")
