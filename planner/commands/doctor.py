"""`cliper-sched doctor`: check the connection to Postiz and say how to fix it."""

from __future__ import annotations

import click

from planner.commands.connection import connection_options
from planner.postiz.budget import RateBudget
from planner.postiz.diagnose import FAIL, INFO, OK, SKIP, WARN, Check, failed, run_checks
from planner.term import paint, safe
from planner.textsafe import json_text

STYLE = {OK: ("ok", "green"), WARN: ("WARN", "yellow"), FAIL: ("FAIL", "red"),
         SKIP: ("skip", None), INFO: ("info", "cyan")}


@click.command("doctor")
@click.option("--json", "as_json", is_flag=True, help="Print the checks as JSON.")
@click.option("--strict", is_flag=True, help="Warnings (e.g. a disabled channel) fail too.")
@connection_options
def command(as_json: bool, strict: bool, api_url: str | None, api_key_file: str | None,
            ca_bundle: str | None, timeout: float | None) -> int:
    """Check the connection to Postiz, in order, and say how to fix what is wrong.

    \b
    Checks: configuration, the URL answers, it is the Postiz public API (not the
    web frontend), the key is accepted, channels exist (and which are disabled),
    the rate-limit budget if known, this machine's clock against the server's,
    and which Postiz behaviour the server shows (settings listed, settings route,
    republish guard) with what that means for ownership and counted edits.
    Exit 0 when nothing fails, 1 otherwise (with --strict, warnings fail too).
    Sends no request that counts against the rate limit and changes nothing.
    """
    checks: list[Check] = []
    for check in run_checks(api_url, api_key_file, ca_bundle, load_budget=_saved_budget,
                            timeout=timeout):
        checks.append(check)
        if not as_json:
            click.echo(render(check))
    code = 1 if failed(checks, strict) else 0
    if as_json:
        behaviour = next((c.behaviour for c in checks if c.behaviour is not None), None)
        click.echo(json_text({"ok": code == 0, "checks": [c.as_dict() for c in checks],
                              "behaviour": behaviour.as_dict() if behaviour else None}, indent=2))
    else:
        summary = "all checks passed" if code == 0 else "some checks failed"
        click.echo(paint(summary, "green" if code == 0 else "red", bold=True))
    click.get_current_context().exit(code)
    return code


def _saved_budget(api_url: str) -> RateBudget | None:
    """What earlier applies on this machine learnt of the rate limit (never the key)."""
    from planner.reconcile import budgetcache

    budget = RateBudget()
    budgetcache.restore(budget, api_url)
    return budget


def render(check: Check) -> str:
    label, colour = STYLE[check.status]
    head = paint(label.ljust(4), colour, bold=check.status == FAIL)
    # A message or a hint may quote what the server answered: escaped, never obeyed.
    text = f"{head}  {check.name.ljust(10)}  {safe(check.message)}"
    for line in check.details:
        text += "\n" + " " * 18 + f"- {safe(line)}"
    if check.hint and check.status in (FAIL, WARN):
        text += "\n" + " " * 18 + f"fix: {safe(check.hint)}"
    return text
