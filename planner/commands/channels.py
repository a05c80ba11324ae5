"""`cliper-sched channels`: the Postiz channels a plan can post to."""

from __future__ import annotations

from dataclasses import asdict

import click

from planner.commands.connection import postiz_options
from planner.postiz.models import Channel
from planner.term import paint, safe
from planner.textsafe import json_text

HEADERS = ("ID", "PROVIDER", "NAME", "DISABLED", "CUSTOMER")


@click.command("channels")
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
@postiz_options
def command(client, as_json: bool) -> None:
    """List the Postiz channels (integrations) you can post to.

    A plan names a channel by its NAME (as shown here) or by its ID.
    """
    channels = sorted(client.list_channels(), key=lambda c: (c.provider, c.name.lower(), c.id))
    if as_json:
        click.echo(json_text([asdict(c) for c in channels], indent=2))
        return
    if not channels:
        click.echo("No channels: connect one in the Postiz web UI (Add Channel), then run this "
                   "again.", err=True)
        return
    click.echo(render_table(channels))


def render_table(channels: list[Channel]) -> str:
    # Names come from Postiz: escaped before the widths are measured, so nothing in
    # them reaches the terminal as a control sequence, and the columns still line up.
    rows = [(safe(c.id), safe(c.provider), safe(c.name), "yes" if c.disabled else "no",
             safe(c.customer.name) if c.customer else "-") for c in channels]
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(HEADERS)]

    def line(cells: tuple[str, ...]) -> str:
        return "  ".join(cell.ljust(w) for cell, w in zip(cells, widths, strict=True)).rstrip()

    # Padding is computed on plain text, then coloured, so colour never breaks alignment.
    out = [paint(line(HEADERS), bold=True)]
    for row, channel in zip(rows, channels, strict=True):
        text = line(row)
        out.append(paint(text, "yellow") if channel.disabled else text)
    return "\n".join(out)
