"""`cliper-sched doctor`: check the connection to Postiz and say how to fix it."""

from __future__ import annotations

import json
from pathlib import Path

import click

from planner.commands.connection import connection_options
from planner.errors import UserError
from planner.fsutil import STATE_MAX_BYTES, read_capped
from planner.postiz.budget import RateBudget
from planner.postiz.diagnose import (
    FAIL,
    INFO,
    OK,
    SKIP,
    WARN,
    Check,
    MediaInput,
    failed,
    run_checks,
)
from planner.term import paint, safe
from planner.textsafe import json_text

STYLE = {OK: ("ok", "green"), WARN: ("WARN", "yellow"), FAIL: ("FAIL", "red"),
         SKIP: ("skip", None), INFO: ("info", "cyan")}


@click.command("doctor")
@click.argument("plans", metavar="[PLAN...]", nargs=-1, type=click.Path())
@click.option("--json", "as_json", is_flag=True, help="Print the checks as JSON.")
@click.option("--strict", is_flag=True, help="Warnings (e.g. a disabled channel) fail too.")
@click.option("--upload-probe", is_flag=True, help="Upload one 1x1 PNG (not counted; it stays in Postiz's media "
              "library) to see the URL Postiz gives media, when no earlier upload recorded one.")
@connection_options
def command(plans: tuple[str, ...], as_json: bool, strict: bool, upload_probe: bool, api_url: str | None,
            api_key_file: str | None, ca_bundle: str | None, timeout: float | None) -> int:
    """Check the connection to Postiz, in order, and say how to fix what is wrong.

    \b
    Checks: configuration, the URL answers, it is the Postiz public API (not the
    web frontend), the key is accepted, channels exist (and which are disabled),
    the rate-limit budget if known, this machine's clock against the server's,
    and which Postiz behaviour the server shows (settings listed, settings route,
    republish guard) with what that means for ownership and counted edits, and
    whether the networks that fetch media by URL (Instagram, Facebook, ...) can
    reach the URL Postiz gives uploads. PLAN (files or folders): look at those
    plans' channels and at the upload URLs their earlier applies recorded.
    Exit 0 when nothing fails, 1 otherwise (with --strict, warnings fail too).
    Sends no request that counts against the rate limit and changes nothing
    (but --upload-probe's one small image).
    """
    checks: list[Check] = []
    for check in run_checks(api_url, api_key_file, ca_bundle, load_budget=_saved_budget,
                            timeout=timeout, media=_media_input(plans, upload_probe)):
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


def _media_input(plans: tuple[str, ...], probe: bool) -> MediaInput:
    """The plans' channels and media kinds, and the upload URLs their state files recorded
    (read as they are: they only decide a warning)."""
    if not plans:
        return MediaInput(probe=probe)
    from planner.commands import planargs
    from planner.planfile import load_plan
    from planner.providers import is_video_path
    from planner.reconcile.state import state_path_for

    uses: dict[tuple[str, bool], None] = {}
    urls: dict[tuple[str, str | None], None] = {}
    for path in planargs.expand(plans):
        plan = load_plan(path)
        for target in plan.targets():
            if target.post.media is not None:
                uses[(target.channel_ref, is_video_path(target.post.media.path))] = None
        urls.update(dict.fromkeys(_recorded_urls(state_path_for(path))))
    return MediaInput(urls=tuple(urls), uses=tuple(uses), probe=probe)


def _recorded_urls(state_file: Path) -> list[tuple[str, str | None]]:
    try:
        data = json.loads(read_capped(state_file, STATE_MAX_BYTES, what="the state file"))
    except (OSError, ValueError, UserError):
        return []  # no state yet (or unreadable: diff and apply say why)
    api = data.get("api_url") if isinstance(data, dict) else None
    media = data.get("media") if isinstance(data, dict) else None
    return [(m["path"], api if isinstance(api, str) else None) for m in (media or {}).values()
            if isinstance(m, dict) and isinstance(m.get("path"), str)]


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
