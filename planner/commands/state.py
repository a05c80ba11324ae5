"""`cliper-sched state list|show|rm|mv PLAN ...`: the posts a plan owns, and driving them.

The orchestration is planner/reconcile/stateops.py; this module parses options and
renders what comes back (text, or --json).
"""

from __future__ import annotations

from datetime import datetime

import click

from planner.cli import verbose_option
from planner.commands.connection import postiz_options
from planner.commands.options import lock_timeout_option, workspace_option
from planner.errors import EXIT_ERROR
from planner.reconcile import normalize, stateops
from planner.reconcile.manager import Manager
from planner.term import paint, safe
from planner.textsafe import json_text

HEADERS = ("ADDRESS", "POST ID", "STATUS", "LAST APPLIED")
plan_argument = click.argument("plan_file", metavar="PLAN", type=click.Path(dir_okay=False))
json_option = click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")


def _verbose(cmd: click.Command) -> click.Command:
    cmd.params.append(verbose_option())  # `cliper-sched state list -v PLAN`, as on every command
    return cmd


@click.group(help="List, show, forget (rm) or rename (mv) the posts a plan owns in Postiz.\n\n"
             "An address is `<key>@<channel>` (clip-01@tiktok-main), as diff and apply name posts.")
def command():
    pass


@command.command("list")
@plan_argument
@workspace_option
@json_option
@postiz_options
def list_(client, plan_file, workspace, as_json):
    """Every post the plan owns: address, post id, status in Postiz, when last applied.

    Reads only (no lock): the same pairing `diff` and `apply` make, from the markers in
    Postiz and the signed state file.
    """
    found = stateops.listing(Manager(client, plan_file, workspace=workspace))
    if as_json:
        click.echo(json_text({"plan": found.plan_name, "state_file": str(found.state_path),
                              "posts": [r.data() for r in found.rows]}, indent=2))
        return
    _notes(found.notes)
    if not found.rows:
        click.echo("This plan owns no post in Postiz (nothing applied yet, or everything handed back).")
        return
    click.echo(_table(found.rows, found.tz))
    if any(not r.recorded for r in found.rows):
        click.echo("\n(-: not in the state file; found in Postiz as apply finds it, by its marker or by "
                   "channel + time + caption; the next apply records it)")


@command.command("show")
@plan_argument
@click.argument("address")
@workspace_option
@json_option
@postiz_options
def show(client, plan_file, address, workspace, as_json):
    """Every recorded field of one post (ADDRESS), next to what Postiz holds now."""
    manager = Manager(client, plan_file, workspace=workspace)
    found = stateops.listing(manager)
    row = stateops.find(found.rows, address, state_path=found.state_path)
    live = row.live
    live_data = None if live is None else {
        "id": live.id, "state": live.state, "at": normalize.iso_z(live.at), "channel": live.channel_name,
        "channel_id": live.channel_id, "provider": live.provider, "group": live.group, "content": live.content,
        "settings": live.settings, "marker": live.marker, "release_url": live.release_url}
    if as_json:
        click.echo(json_text({**row.data(), "recorded": row.owned.as_dict(), "live": live_data}, indent=2))
        return
    _notes(found.notes)
    owned = row.owned
    lines = [("address", row.address), ("post id", owned.post_id), ("status", row.status),
             ("in the plan", "yes" if row.in_plan else "no"), ("owned by", row.proof),
             ("in the state file", "yes" if row.recorded else "no"),
             ("last applied", _when(owned.applied_at, found.tz)), ("channel id", owned.channel_id),
             ("provider", owned.provider), ("group", owned.group or "-"), ("fingerprint", owned.fingerprint or "-"),
             ("caption digest", owned.caption_digest or "-"), ("release url", owned.release_url or "-"),
             ("applied at", _when(owned.applied.at, found.tz)), ("applied caption", repr(owned.applied.content)),
             ("applied media", ", ".join(owned.applied.media) or "-"),
             ("applied settings", json_text(owned.applied.settings))]
    if live is None:
        lines.append(("in Postiz", "missing (deleted, or moved out of reach)"))
    else:
        lines += [("Postiz state", live.state), ("Postiz time", _when(live.at, found.tz)),
                  ("Postiz channel", live.channel_name), ("Postiz caption", repr(live.content)),
                  ("Postiz settings", "(not listed by this Postiz)" if live.settings is None
                   else json_text(normalize.settings(live.settings))),
                  ("Postiz marker", live.marker or "-")]
    width = max(len(k) for k, _ in lines)
    for key, value in lines:
        click.echo(f"{key.ljust(width)}  {safe(str(value))}")


@command.command("rm")
@plan_argument
@click.argument("addresses", metavar="ADDRESS...", nargs=-1, required=True)
@workspace_option
@json_option
@lock_timeout_option
@postiz_options
def rm(client, plan_file, addresses, workspace, as_json, lock_timeout):
    """Hand posts back to the dashboard: the plan forgets them, Postiz keeps them.

    Each post loses its ownership marker in Postiz (an uncounted settings update; the
    rest of its settings stay) and its entry in the state file, so no later apply edits
    or deletes it, even once it is gone from the plan. Remove it from the plan too:
    a post still planned at that slot is reported as taken, never created twice.
    """
    manager = Manager(client, plan_file, workspace=workspace, lock_timeout=lock_timeout)
    outcomes, notes = stateops.remove(manager, list(addresses))
    _outcomes(outcomes, notes, as_json)


@command.command("mv")
@plan_argument
@click.argument("old", metavar="OLD")
@click.argument("new", metavar="NEW")
@workspace_option
@json_option
@lock_timeout_option
@postiz_options
def mv(client, plan_file, old, new, workspace, as_json, lock_timeout):
    """Rename a post's address OLD to NEW without delete + create (Terraform's `moved`).

    Only the key may change (clip-01@tiktok-main -> intro@tiktok-main); the channel stays.
    The marker in Postiz is rewritten (uncounted) and the state entry follows. Rename the
    key in the plan as well, before or after: then apply changes nothing.
    """
    manager = Manager(client, plan_file, workspace=workspace, lock_timeout=lock_timeout)
    outcome, notes = stateops.move(manager, old, new)
    _outcomes([outcome], notes, as_json)


for _cmd in (list_, show, rm, mv):
    _verbose(_cmd)


# -- rendering -----------------------------------------------------------------------


def _when(moment: datetime | None, tz) -> str:
    if moment is None:
        return "-"
    return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S%z")


def _table(rows: list[stateops.Row], tz) -> str:
    cells = [(safe(r.address), safe(r.owned.post_id), r.status,
              _when(r.owned.applied_at, tz) if r.recorded else "-") for r in rows]
    widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(HEADERS)]

    def line(values: tuple[str, ...]) -> str:
        return "  ".join(v.ljust(w) for v, w in zip(values, widths, strict=True)).rstrip()

    out = [paint(line(HEADERS), bold=True)]
    for row, values in zip(rows, cells, strict=True):
        text = line(values)
        out.append(paint(text, "yellow") if row.status == "missing" else text)
    return "\n".join(out)


def _notes(notes: list[str]) -> None:
    for note in notes:
        click.echo(paint(f"Note: {safe(note)}", "yellow"), err=True)


def _outcomes(outcomes: list[stateops.Outcome], notes: list[str], as_json: bool) -> None:
    ctx = click.get_current_context()
    failed = [o for o in outcomes if not o.done]
    if as_json:
        click.echo(json_text({"results": [o.data() for o in outcomes]}, indent=2))
    else:
        _notes(notes)
        for o in outcomes:
            name = f"{o.address} -> {o.new_address}" if o.new_address else o.address
            mark = paint("!", "red", True) if not o.done else paint("-" if not o.new_address else "~", "green")
            click.echo(f"{mark} {safe(name)}: {safe(o.message)}")
            for w in o.warnings:
                click.echo(paint(f"  ! {safe(w)}", "yellow"))
    if failed:
        ctx.exit(EXIT_ERROR)
