"""`cliper-sched pull PLAN`: keep dashboard edits by writing them into the plan file."""

from __future__ import annotations

import click

from planner.errors import write_failed
from planner.postiz.options import postiz_options
from planner.reconcile import manager
from planner.reconcile import pull as pull_mod
from planner.reconcile.cliopts import workspace_option
from planner.reconcile.diff import live_record
from planner.reconcile.state import Lock


@click.command(help="Write posts edited in the Postiz dashboard back into the plan file (comments kept).")
@click.argument("plan_file", metavar="PLAN", type=click.Path(dir_okay=False))
@workspace_option
@click.option("--dry-run", is_flag=True, help="Show what would be written, change nothing.")
@postiz_options
def command(client, plan_file, workspace, dry_run):
    with Lock(manager.state_path(plan_file)):
        ctx = manager.prepare(plan_file, client, workspace=workspace)
        drifts = [d for d in ctx.changes.drifts if d.how != "published"]
        if not drifts:
            click.echo("Nothing to pull: no post was changed in Postiz since the last apply.")
            return
        entries = {e.address: e for e in ctx.entries}
        live_records = {d.address: live_record(d.live, d.owned, entries[d.address].desired)
                        for d in drifts if d.live is not None}
        text, pulled = pull_mod.pull(ctx.plan.path, ctx.plan, drifts, live_records)
        for p in pulled:
            click.echo(f"  {p.address}: {p.what}")
        if dry_run:
            click.echo("(dry run: nothing written)")
            return
        try:
            pull_mod.write(ctx.plan.path, text)
        except OSError as exc:
            raise write_failed(str(plan_file), "the plan", exc, "the plan file is unchanged") from None
        # The plan now says what Postiz holds: record it as applied, so diff shows no changes.
        for d in drifts:
            if d.live is None:
                ctx.state.posts.pop(d.address, None)
            else:
                owned = ctx.state.posts[d.address]
                owned.applied = live_records[d.address]
                owned.group = d.live.group
                owned.caption_digest = None
        for address, owned in ctx.changes.state_refresh.items():
            ctx.state.posts.setdefault(address, owned)
        ctx.state.save()
    click.echo(f"Pulled {len(drifts)} dashboard change(s) into {plan_file}. Review with `git diff` and commit.")
