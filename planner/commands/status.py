"""`cliper-sched status PLAN…`: what became of each post after apply, read from Postiz.

Reads only (`GET /integrations`, `GET /posts`: never counted against the rate
limit, no lock). Three renderings of the same `PlanStatus` list: text for a
terminal, JSON for scripts, Markdown for a CI job summary (`$GITHUB_STEP_SUMMARY`).
"""

from __future__ import annotations

import re
from datetime import datetime, tzinfo

import click

from planner.commands import planargs
from planner.commands.connection import postiz_options
from planner.commands.options import workspace_option
from planner.errors import EXIT_OK
from planner.reconcile import refresh
from planner.reconcile.manager import Manager
from planner.reconcile.normalize import iso_z
from planner.reconcile.status import FATES, PlanStatus, PostFate, summary, total
from planner.term import paint, safe
from planner.textsafe import json_text, printable

# Shares 2 with `diff --detailed-exitcode` (README "Exit codes"): something needs a look.
EXIT_POST_FAILED = 2
FORMAT_VERSION = 1

LABELS = {"scheduled": "scheduled", "published": "published", "failed": "failed", "deleted": "deleted",
          "moved": "moved", "draft": "draft", "not_applied": "not applied"}
COLOURS = {"published": ("green", False), "failed": ("red", True), "deleted": ("yellow", False),
           "moved": ("yellow", False), "draft": ("yellow", False), "not_applied": ("cyan", False)}

HELP = """Show what became of each planned post: scheduled (when), published (its link),
failed (and what to do), moved or deleted in the dashboard, not yet applied.

\b
PLAN: plan files, or folders of them (`plans/`). Reads Postiz only: no request
counts against the rate limit. --format markdown writes a table per plan for a
CI job summary: `cliper-sched status plans/ --format markdown >> "$GITHUB_STEP_SUMMARY"`.

\b
Exit codes: 0 no post failed, 2 a post failed (Postiz state ERROR), 1 error."""


@click.command(help=HELP)
@click.argument("plans", metavar="PLAN...", nargs=-1, required=True, type=click.Path())
@workspace_option
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown"]), default="text",
              show_default=True, help="text for people, json for scripts, markdown for CI job summaries.")
@postiz_options
def command(client, plans, workspace, fmt):
    listing = refresh.Listing(client)  # channels listed once for all the plans
    results = [Manager(client, path, workspace=workspace, listing=listing).status()
               for path in planargs.expand(plans)]
    if fmt == "json":
        click.echo(json_text(data(results), indent=2))
    elif fmt == "markdown":
        click.echo(markdown(results), nl=False)
    else:
        click.echo(text(results), nl=False)
    failed = sum(r.failed for r in results)
    click.get_current_context().exit(EXIT_POST_FAILED if failed else EXIT_OK)


# -- shared -------------------------------------------------------------------------

def _when(value: datetime | None, tz: tzinfo | None) -> str:
    if value is None:
        return "-"
    return (value.astimezone(tz) if tz is not None else value).isoformat(timespec="minutes")


def _detail(p: PostFate, tz: tzinfo | None) -> str:
    """The one line that says the most about this fate (a failure's hint comes apart)."""
    if p.fate == "published":
        return p.url or "(published, no link yet)"
    if p.fate == "failed":
        return p.reason or ""
    if p.fate == "moved":
        return f"planned {_when(p.planned_at, tz)}, moved in the dashboard"
    if p.fate == "deleted":
        return f"post {p.post_id} was deleted in the dashboard"
    if p.fate == "not_applied":
        return "not in Postiz yet: run `cliper-sched apply`"
    return ""


# -- text ---------------------------------------------------------------------------

def text(results: list[PlanStatus]) -> str:
    lines: list[str] = []
    for r in results:
        lines.append(paint(f"{safe(r.name)} ({safe(r.file)})", bold=True))
        lines.extend(f"  note: {safe(n)}" for n in r.notes)
        width = max((len(safe(p.address)) for p in r.posts), default=0)
        for p in r.posts:
            fg, bold = COLOURS.get(p.fate, (None, False))
            label = paint(f"{LABELS[p.fate]:<11}", fg, bold)
            row = f"  {label}  {safe(p.address):<{width}}  {_when(p.when, r.timezone)}"
            detail = _detail(p, r.timezone)
            lines.append(f"{row}  {safe(detail)}".rstrip())
            if p.hint:
                lines.append(f"{'':15}hint: {safe(p.hint)}")
            lines.extend(f"{'':15}{safe(n)}" for n in p.notes)
        lines.append(paint(summary(safe(r.name), r.counts), bold=True))
        lines.append("")
    if len(results) > 1:
        lines.append(paint(summary("Total", total(results)), bold=True))
    return "\n".join(lines).rstrip("\n") + "\n"


# -- json ---------------------------------------------------------------------------

def _iso(value: datetime | None) -> str | None:
    return iso_z(value) if value is not None else None


def _post_data(p: PostFate) -> dict:
    return {"address": p.address, "key": p.address.rsplit("@", 1)[0], "channel": p.channel, "fate": p.fate,
            "state": p.state, "post_id": p.post_id, "at": _iso(p.at), "planned_at": _iso(p.planned_at),
            "url": p.url, "reason": p.reason, "hint": p.hint, "notes": list(p.notes)}


def data(results: list[PlanStatus]) -> dict:
    """Per-plan counts and per-post records; times in UTC (`…Z`). `fate` is one of FATES."""
    plans = [{"name": r.name, "file": r.file, "summary": summary(r.name, r.counts), "counts": r.counts,
              "notes": list(r.notes), "posts": [_post_data(p) for p in r.posts]} for r in results]
    counts = total(results)
    return {"format_version": FORMAT_VERSION, "fates": list(FATES), "plans": plans, "total": counts,
            "failed": counts["failed"]}


# -- markdown -----------------------------------------------------------------------

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|~&#!])")
_SAFE_URL = re.compile(r"https?://[^\s()<>\[\]|`\"']+")


def cell(value: str) -> str:
    """Text from a plan or Postiz as one table cell: control and invisible characters
    escaped (`printable`, so a line break reads `\\n` and cannot end the row), then the
    Markdown punctuation that could close the cell, format or link, backslash-escaped."""
    return _MD_SPECIAL.sub(r"\\\1", printable(value))


def _md_detail(p: PostFate, tz: tzinfo | None) -> str:
    if p.fate == "published" and p.url and _SAFE_URL.fullmatch(p.url):
        return f"[{cell(p.url)}]({p.url})"
    parts = [cell(_detail(p, tz))] if _detail(p, tz) else []
    if p.hint:
        parts.append(f"**hint:** {cell(p.hint)}")
    parts += [cell(n) for n in p.notes]
    return "<br>".join(parts)


def markdown(results: list[PlanStatus]) -> str:
    out: list[str] = []
    for r in results:
        out += [f"### {cell(r.name)}", "", f"{cell(r.file)}: **{cell(summary(r.name, r.counts))}**", ""]
        out += [f"> {cell(n)}" for n in r.notes]
        if r.notes:
            out.append("")
        if r.posts:
            out += ["| Post | Fate | When | Details |", "|---|---|---|---|"]
            out += [f"| {cell(p.address)} | {LABELS[p.fate]} | {_when(p.when, r.timezone)} | "
                    f"{_md_detail(p, r.timezone)} |" for p in r.posts]
            out.append("")
    if len(results) > 1:
        out += [f"**{cell(summary('Total', total(results)))}**", ""]
    return "\n".join(out)
