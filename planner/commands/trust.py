"""`cliper-sched trust DIR`: folders the user trusts as CLIPER workspaces (planner.trust)."""

from __future__ import annotations

import click

from planner import trust
from planner.errors import UserError
from planner.term import safe


@click.command("trust")
@click.argument("folders", nargs=-1, metavar="[DIR]...", type=click.Path(file_okay=False, path_type=str))
@click.option("--list", "show", is_flag=True, help="Print the trusted folders and where they are kept.")
@click.option("--remove", is_flag=True, help="Stop trusting the folders given.")
def command(folders, show, remove):
    """Trust DIR as a CLIPER workspace wherever a plan names it.

    A plan may name a workspace only inside its own git repository (outside
    git: under the folder above the plan's folder), and media only inside that
    workspace, links followed: a plan from a pull request cannot upload your
    other files. A workspace elsewhere (say ~/cliper) needs your word, given
    outside the plan: once here, or per run with --workspace DIR or
    CLIPER_WORKSPACE. Every folder under a trusted one is trusted too.

    The list is $XDG_CONFIG_HOME/cliper-sched/trusted-workspaces (default
    ~/.config/cliper-sched/trusted-workspaces): one absolute path per line,
    `#` comments allowed; edit it by hand if you like.
    """
    if show:
        roots = trust.trusted_roots()
        click.echo(f"# {safe(str(trust.trusted_file()))}", err=True)
        for root in roots:
            click.echo(safe(str(root)))
        if not roots:
            click.echo("No trusted workspaces.", err=True)
        if not folders:
            return
    if not folders:
        raise click.UsageError("give the workspace folder to trust (or --list to see the list)")
    for folder in folders:
        if remove:
            if not trust.remove(folder):
                raise UserError(f"{folder}: not in the list of trusted workspaces", file=str(trust.trusted_file()),
                                hint="`cliper-sched trust --list` shows the list")
            click.echo(f"No longer trusted: {safe(folder)}")
            continue
        where, new = trust.add(folder)
        if new:
            click.echo(f"Trusted {safe(str(where))} as a CLIPER workspace (and every folder in it); "
                       f"listed in {safe(str(trust.trusted_file()))}.")
        else:
            click.echo(f"Already trusted: {safe(str(where))}")
