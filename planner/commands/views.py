"""Two renderings of one plan object: human text (Terraform-style) and JSON data.

Nothing here decides anything; it only shows what diff.compute() decided. Every
text that came from the plan or from Postiz (addresses, channel names, captions,
settings, ids, Postiz's messages) goes through `safe` before it is painted, so a
control sequence in it is shown escaped, never run by the terminal.
"""

from __future__ import annotations

import difflib
import json
import os
from datetime import tzinfo
from typing import Any

import click

from planner.reconcile import normalize
from planner.reconcile.changes import ChangeSet
from planner.reconcile.executor import Result
from planner.term import paint, safe

SYMBOLS = {"create": ("+", "green"), "update": ("~", "yellow"), "delete": ("-", "red")}
DRIFT_WORDS = {
    "moved": "was moved in Postiz",
    "edited": "was edited in Postiz",
    "settings": "had its settings edited in Postiz",
    "status": "was set to draft or scheduled in Postiz",
    "deleted": "was deleted in Postiz",
    "published": "was published",
}


# Notes shown after the changes: (kind, title, colour, bold, count in the title, show the hint).
NOTE_SECTIONS = (
    ("published", "Published (history, never changed)", "cyan", False, True, False),
    ("error", "Posts Postiz failed to publish (state ERROR)", "red", True, False, True),
    ("adopted", "Adopted (already in Postiz, now owned by this plan)", None, False, True, False),
    ("unproven", "Not created: a post without this plan's marker sits at that channel and time", "yellow", True,
     True, True),
    ("untouched", "Not deleted: a post this plan cannot prove is its own sits at its channel and time", "yellow",
     True, True, True),
    ("duplicate", "Duplicates (two live posts carry one address)", "yellow", True, True, False),
    ("ownership", "State file entries ignored", None, False, True, False),
    ("clock", "Server clock", "yellow", True, False, False),
)
LISTED = 20  # longer lists end with "… and N more"


def _listing(lines: list[str], items: list[str]) -> None:
    lines.extend(f"    {safe(item)}" for item in items[:LISTED])
    if len(items) > LISTED:
        lines.append(f"    … and {len(items) - LISTED} more")


def _short(value: Any, width: int = 70) -> str:
    # JSON escapes C0 controls; `safe` the rest (DEL, C1, bidi overrides).
    text = json.dumps(value, ensure_ascii=False)
    return safe(text if len(text) <= width else text[: width - 1] + '…"')


def _whole(value: Any) -> str:
    """`--full`: the whole value, JSON-quoted like `_short`; a text of several lines
    as an indented block under its label, one line of the text per line."""
    if isinstance(value, str) and "\n" in value:
        return "".join(f"\n{BLOCK}{safe(line)}" for line in value.split("\n"))
    return safe(json.dumps(value, ensure_ascii=False))


BLOCK = " " * 8  # the indent of a value shown as a block under its label


def _labelled(label: str, value: str) -> str:
    """`label value`; a block value (it starts with a line break) goes under the label."""
    return label.rstrip(" ") + value if value.startswith("\n") else label + value


def line_diff(old: str, new: str) -> list[tuple[str, str]]:
    """(" " | "-" | "+", line) for every line of `old` and `new`: difflib's line
    matching, kept whole (no context cut) so a reviewer reads both texts in full."""
    a, b = old.split("\n"), new.split("\n")
    out: list[tuple[str, str]] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            out.extend((" ", line) for line in a[i1:i2])
        else:
            out.extend(("-", line) for line in a[i1:i2])
            out.extend(("+", line) for line in b[j1:j2])
    return out


def _when(value: Any, tz: tzinfo | None) -> str:
    if value is None:
        return "(none)"
    at = normalize.instant(value)
    if tz is not None:
        at = at.astimezone(tz)
    return at.isoformat(timespec="minutes")


def _media(shas: Any, paths: tuple[str, ...] = (), full: bool = False) -> str:
    """`output/ep12/3.mp4 (sha256:c0afd5e1b2c3…)` per file: the file a reviewer can open,
    next to the checksum it must have (whole with `full`); the checksum alone where no path is known."""
    shown = []
    for i, sha in enumerate(shas or ()):
        tag = f"sha256:{safe(str(sha))}" if full else f"sha256:{safe(str(sha)[:12])}…"
        shown.append(f"{safe(paths[i])} ({tag})" if i < len(paths) else tag)
    return ", ".join(shown) or "(none)"


def _value(path: str, value: Any, tz: tzinfo | None, paths: tuple[str, ...] = (), full: bool = False) -> str:
    if value is None:
        return "(none)"
    if path == "at":
        return _when(value, tz)
    if path == "media":
        return _media(value, paths, full)
    return _whole(value) if full else _short(value)


def _change(path: str, old: Any, new: Any, tz: tzinfo | None, new_paths: tuple[str, ...] = (),
            full: bool = False) -> str:
    """`old → new`; long texts are shown from just before where they start to differ,
    so an edit late in a caption is visible rather than cut off. `new_paths`: the plan's
    media files, when `new` is the plan's media. `full`: whole values, and a text of
    several lines as a line diff block (`- old line` / `+ new line`)."""
    if full and path not in ("at", "media") and isinstance(old, str) and isinstance(new, str) \
            and ("\n" in old or "\n" in new):
        return "".join(f"\n{BLOCK}{mark} {safe(line)}" for mark, line in line_diff(old, new))
    if full:
        return f"{_value(path, old, tz, full=True)} → {_value(path, new, tz, new_paths, full=True)}"
    if path != "at" and isinstance(old, str) and isinstance(new, str):
        same = len(os.path.commonprefix([old, new]))
        if same > 30 and max(len(old), len(new)) > 60:
            start = same - 20
            return f"{_short('…' + old[start:])} → {_short('…' + new[start:])}"
    return f"{_value(path, old, tz)} → {_value(path, new, tz, new_paths)}"


def render(plan: ChangeSet, *, tz: tzinfo | None = None, counted: int | None = None,
           eta: str | None = None, stream=None, full: bool = False) -> str:
    """The Terraform-style text `diff` prints and `apply` shows before asking.
    `full` (--full): whole values instead of ~70 characters, line diffs of captions."""
    lines: list[str] = []
    shown = _whole if full else _short

    def p(text: str, fg: str | None = None, bold: bool = False) -> str:
        return paint(text, fg, bold, stream=stream)

    if plan.has_changes:
        lines.append("cliper-sched will perform the following actions:")
        lines.append("")
    for c in plan.creates:
        sym, fg = SYMBOLS["create"]
        d = c.desired
        lines.append(p(f"  {sym} {safe(c.address)}", fg, True)
                     + f"  ({safe(d.channel.name)}, {safe(d.channel.provider)}; {c.reason})")
        rec = d.record.as_dict()
        lines.append(f"      at:       {_when(rec['at'], tz)}")
        if "status" in rec:  # a draft: shown in Postiz's calendar, never published
            lines.append(f"      status:   {safe(rec['status'])} (never published)")
        lines.append(_labelled("      content:  ", shown(rec["content"])))
        if rec["media"]:
            lines.append(f"      media:    {_media(rec['media'], d.media_paths, full)}")
        for key in sorted(rec["settings"]):
            lines.append(_labelled(f"      settings.{safe(key)}: ", shown(rec["settings"][key])))
    for u in plan.updates:
        sym, fg = SYMBOLS["update"]
        lines.append(p(f"  {sym} {safe(u.address)}", fg, True) + f"  (post {safe(u.live.id)}; {u.reason})")
        for f in u.fields:
            lines.append(_labelled(f"      {safe(f.path)}: ",
                                   _change(f.path, f.old, f.new, tz, u.desired.media_paths, full)))
    for gone in plan.deletes:
        sym, fg = SYMBOLS["delete"]
        lines.append(p(f"  {sym} {safe(gone.address)}", fg, True) + f"  (post {safe(gone.live.id)}; {gone.reason})")
        lines.append(f"      at:       {_when(gone.live.at, tz)}")
    if plan.drifts:
        lines.append("")
        lines.append(p("Changed in Postiz since the last apply (drift):", "magenta", True))
        for dr in plan.drifts:
            action = ("restoring the plan's version (--overwrite-drift)" if dr.restored
                      else "kept" if dr.how != "published" else "kept (history)")
            lines.append(p(f"  ! {safe(dr.address)}", "magenta", True) + f" {DRIFT_WORDS.get(dr.how, dr.how)}: {action}")
            for f in dr.fields:
                lines.append(_labelled(f"      {safe(f.path)}: ", _change(f.path, f.old, f.new, tz, full=full)))
            if dr.how == "published" and dr.live is not None:
                lines.append(f"      releaseURL: {safe(dr.live.release_url or '(none yet)')}")
            if dr.plan_also_changes and not dr.restored:
                lines.append("      (the plan also changes this post; its change waits until you choose)")
        if any(not dr.restored and dr.how != "published" for dr in plan.drifts):
            lines.append("  To keep these edits, run `cliper-sched pull PLAN` (writes them into the plan file);")
            lines.append("  to undo them, run apply with --overwrite-drift.")
    for kind, title, title_fg, title_bold, counted_title, show_hint in NOTE_SECTIONS:
        notes = [n for n in plan.notes if n.kind == kind]
        if not notes:
            continue
        lines.append("")
        lines.append(p(f"{title}: {len(notes)}" if counted_title else f"{title}:", title_fg, title_bold))
        _listing(lines, [f"{n.address}: {n.message}" for n in notes])
        if show_hint:
            for hint in dict.fromkeys(n.hint for n in notes if n.hint):  # each distinct hint once
                lines.append(f"    hint: {safe(hint)}")
    if plan.remarks:
        missing = sum(1 for r in plan.remarks if r.missing)
        lines.append("")
        what = ("missing" if missing == len(plan.remarks) else "out of date" if not missing
                else "missing or out of date")
        lines.append(f"Ownership marker {what}: {len(plan.remarks)} post(s); "
                     "apply writes it (not counted, nothing else changes):")
        _listing(lines, [f"{r.address} (post {r.live.id})" for r in plan.remarks])
    lines.append("")
    if plan.has_changes:
        totals = plan.counts()
        lines.append(p(f"Plan: {totals['add']} to add, {totals['change']} to change, "
                       f"{totals['destroy']} to destroy.", bold=True))
        if counted is not None:
            text = f"Counted Postiz requests needed: {counted}"
            if eta:
                text += f" ({eta})"
            lines.append(text + ".")
    blocked = sum(1 for n in plan.notes if n.kind == "unproven")
    if blocked:
        lines.append(p(f"{blocked} planned post(s) not created: a post this plan cannot prove is its own "
                       "sits at that channel and time (listed above).", "yellow", True))
    if not plan.has_changes and blocked:
        lines.append(p("No other changes.", bold=True))
    elif not plan.has_changes:
        lines.append(p("No changes. Postiz matches the plan.", "green", True))
        kept = sum(1 for dr in plan.drifts if not dr.restored and dr.how != "published")
        if kept:
            lines.append(f"({kept} dashboard edit{'s' if kept != 1 else ''} kept, listed above.)")
    return "\n".join(lines)


def data(plan: ChangeSet, *, counted: int | None = None, eta_seconds: float | None = None,
         rate_limit: dict | None = None, settings_listed: bool | None = None) -> dict:
    """The same plan as JSON-ready data (`--json`); shape: schemas/changes.schema.json."""
    return {
        "format_version": 1,
        "changes": [c.data() for c in plan.changes],
        "drift": [d.data() for d in plan.drifts],
        "notes": [n.data() for n in plan.notes],
        "markers_to_restore": [r.address for r in plan.remarks],
        "summary": {**plan.counts(), "drift": len(plan.drifts), "unchanged": plan.noops},
        "counted_requests": counted,
        "eta_seconds": eta_seconds,
        "rate_limit": rate_limit,
        # What the server showed: whether its post listing carries settings (and so our markers).
        "server": {"settings_listed": settings_listed},
    }


def duration(seconds: float) -> str:
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds}s"
    minutes, sec = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m{sec:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


def apply_summary(result: Result, plan_file: str, had_changes: bool) -> None:
    """The end of an apply: what was done, what stopped it, what to do next."""
    counts = f"{result.added} added, {result.changed} changed, {result.destroyed} destroyed."
    if result.stopped_until is not None:
        when = result.stopped_until.astimezone().strftime("%Y-%m-%d %H:%M:%S %Z")
        click.echo("")
        stop = ("Interrupted while waiting for the rate-limit budget." if result.interrupted
                else "Stopped: the rate-limit budget is spent.")
        click.echo(paint(stop, "yellow", True))
        click.echo(f"  Done so far: {counts} (recorded in the state file; nothing will be repeated)")
        click.echo(f"  Remaining: {len(result.remaining)} post(s), e.g. {safe(', '.join(result.remaining[:5]))}")
        click.echo(f"  Re-run `cliper-sched apply {plan_file}` after {when} to finish "
                   "(or use --wait to let it wait).")
    if result.failures:
        click.echo("")
        click.echo(paint(f"Postiz refused {len(result.failures)} post(s):", "red", True))
        for f in result.failures:  # Postiz's own words: shown, never obeyed by the terminal
            click.echo(f"  {safe(f.address)} ({safe(f.provider)} channel {safe(repr(f.channel))}): {safe(f.message)}")
        click.echo("  Fix these in the plan (or the channel in Postiz) and apply again; the others were applied.")
    if result.uncertain:
        click.echo("")
        click.echo(paint(f"{len(result.uncertain)} post(s) got no clear answer from Postiz:", "yellow", True))
        for address in result.uncertain:
            click.echo(f"  {safe(address)}")
        click.echo("  They are journaled: the next apply reads Postiz back first and never sends them twice.")
    if result.stopped_until is None and not result.failures and not result.uncertain:
        if had_changes:
            click.echo("")
            click.echo(paint(f"Apply complete! {counts}", "green", True))
    elif result.added or result.changed or result.destroyed:
        click.echo(f"\nApplied: {counts}")
