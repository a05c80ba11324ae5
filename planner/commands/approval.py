"""The "Only 'yes' will be accepted" question apply and destroy ask before changing Postiz."""

from __future__ import annotations

import sys

import click

from planner.errors import EXIT_ERROR, UserError
from planner.term import is_interactive


def require_yes(question: str, *, command: str, plan_file: str, verb: str = "confirm") -> None:
    """Ask on a terminal; without one, refuse like Terraform (exit 1, say how to approve).

    Reading a prompt from a pipe or /dev/null ends in EOF, which click reports
    as "Aborted." with the Ctrl-C exit code: a CI log would blame the user.
    """
    if not is_interactive(sys.stdin):
        raise UserError(f"{command} needs approval, and standard input is not a terminal to ask on",
                        hint=f"review the changes above (or `cliper-sched diff {plan_file}`), then run "
                        f"`cliper-sched {command} {plan_file} --auto-approve`")
    click.echo(question)
    answer = click.prompt(f"  Only 'yes' will be accepted to {verb}.\n\n  Enter a value",
                          default="", show_default=False)
    if answer.strip() != "yes":
        click.echo(f"\n{command.capitalize()} cancelled.")
        click.get_current_context().exit(EXIT_ERROR)  # a script must not take this for success
