"""`diff --format markdown`: the change set as a pull-request comment.

The same information as the text view (views.py), in GitHub-flavoured Markdown:
a summary table (one row per plan), then per plan every post with its values in
full, changed captions and titles as real diffs (line by line for a caption of
several lines, word by word for one line), drift and notes in sections of their own.

Every text from a plan or from Postiz is escaped twice: control and invisible
characters by `printable` (so the comment shows what the text holds), then the
Markdown syntax by `_inline`, `_code` or `_fenced` (so a caption holding `|`,
backticks or a ``` line can break neither the table nor a fence).
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterable, Sequence
from datetime import tzinfo
from typing import Any

from planner.commands.views import DRIFT_WORDS, NOTE_SECTIONS, duration, line_diff
from planner.commands.views import _when as when
from planner.reconcile.changes import ChangeSet
from planner.reconcile.manager import Review
from planner.textsafe import printable

FOLD_OVER = 20  # a section listing more posts than this is folded in <details>
ACTIONS = {"create": ("+", "create"), "update": ("~", "change"), "delete": ("-", "destroy")}
WORD_MARKS = (("[-", "-]"), ("{+", "+}"))  # git's --word-diff=plain markers: removed, added

# Backslash-escaped in running text: emphasis, code, links, HTML, table cells,
# strikethrough, entities, headings. Any ASCII punctuation may be escaped in CommonMark.
_INLINE_SPECIAL = re.compile(r"([\\`*_\[\]<>|~&#!])")
_BACKTICKS = re.compile(r"`+")


# -- escaping --------------------------------------------------------------------------


def _inline(text: Any) -> str:
    """Running text: one line (controls and line breaks escaped), no Markdown syntax."""
    return _INLINE_SPECIAL.sub(r"\\\1", printable(str(text)))


def _code(text: Any, *, in_table: bool = False) -> str:
    """An inline code span holding `text` exactly, whatever backticks it contains."""
    body = printable(str(text))
    if body == "":
        return "*(empty)*"
    ticks = "`" * (max((len(run) for run in _BACKTICKS.findall(body)), default=0) + 1)
    if body.startswith("`") or body.endswith("`") or (body.startswith(" ") and body.endswith(" ")):
        body = f" {body} "  # CommonMark strips one space each side
    span = f"{ticks}{body}{ticks}"
    # In a table, a cell ends at any unescaped `|`, even inside code.
    return span.replace("|", "\\|") if in_table else span


def _fenced(lines: Iterable[str], info: str = "") -> str:
    """A fenced code block longer than any run of backticks inside, so no line closes it."""
    body = [printable(line, multiline=True) for line in lines]
    longest = max((len(run) for line in body for run in _BACKTICKS.findall(line)), default=0)
    fence = "`" * max(3, longest + 1)
    return "\n".join([fence + info, *body, fence])


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _value(value: Any) -> str:
    """A setting or other value: inline JSON, or a block for a text of several lines."""
    if value is None:
        return "*(none)*"
    if isinstance(value, str) and "\n" in value:
        return "\n\n" + _indent(_fenced(value.split("\n"), "text"))
    return _code(_json(value))


def _media(shas: Sequence[str] | None, paths: Sequence[str] = ()) -> str:
    shown = []
    for i, sha in enumerate(shas or ()):
        tag = _code(f"sha256:{sha}")
        shown.append(f"{_code(paths[i])} ({tag})" if i < len(paths) else tag)
    return ", ".join(shown) or "*(none)*"


# -- diffs -----------------------------------------------------------------------------


def _words(text: str) -> list[str]:
    return re.findall(r"\s+|\S+", text)


def _marked(tokens: list[str], marks: tuple[str, str]) -> str:
    text = "".join(tokens)
    core = text.strip()
    if not core:  # a change of spaces only: mark the spaces themselves
        return f"{marks[0]}{text}{marks[1]}"
    start = text.index(core)
    return f"{text[:start]}{marks[0]}{core}{marks[1]}{text[start + len(core):]}"


def word_diff(old: str, new: str) -> tuple[str, str]:
    """`old` and `new` whole, each changed run of words marked `[-…-]` / `{+…+}`."""
    a, b = _words(old), _words(new)
    left: list[str] = []
    right: list[str] = []
    # Spaces are junk: a lone space kept between two changed words does not split
    # one change into many (`[-a-] [-b-]` reads worse than `[-a b-]`).
    matcher = difflib.SequenceMatcher(str.isspace, a, b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            left.extend(a[i1:i2])
            right.extend(b[j1:j2])
            continue
        if i2 > i1:
            left.append(_marked(a[i1:i2], WORD_MARKS[0]))
        if j2 > j1:
            right.append(_marked(b[j1:j2], WORD_MARKS[1]))
    return "".join(left), "".join(right)


def text_diff(old: str | None, new: str | None) -> str:
    """A ```diff block: line by line for a text of several lines, else word by word."""
    if old is None or new is None:
        sign, text = ("+", new) if old is None else ("-", old)
        return _fenced([sign + line for line in (text or "").split("\n")], "diff")
    if "\n" in old or "\n" in new:
        return _fenced([mark + line for mark, line in line_diff(old, new)], "diff")
    left, right = word_diff(old, new)
    note = "*Changed words marked `[-removed-]` and `{+added+}`.*\n\n"
    return note + _fenced(["-" + left, "+" + right], "diff")


def _field(path: str, old: Any, new: Any, tz: tzinfo | None, new_paths: Sequence[str] = ()) -> str:
    """One changed field, old → new: times in the plan's zone, texts as a diff."""
    label = f"- **{_inline(path)}**:"
    if path == "at":
        return f"{label} {_code(when(old, tz))} → {_code(when(new, tz))}"
    if path == "media":
        return f"{label} {_media(old)} → {_media(new, new_paths)}"
    if isinstance(old, str | None) and isinstance(new, str | None) and (old, new) != (None, None):
        return f"{label}\n\n{_indent(text_diff(old, new))}"
    return f"{label} {_value(old)} → {_value(new)}"


def _indent(block: str) -> str:
    """A block inside a list item: indented so it belongs to the item (no blank line is indented)."""
    return "\n".join("  " + line if line else line for line in block.split("\n"))


# -- per post --------------------------------------------------------------------------


def _heading(symbol: str, address: str, what: str) -> str:
    return f"##### {_inline(symbol)} {_code(address)} ({what})"


def _create(c, tz: tzinfo | None) -> list[str]:
    d = c.desired
    rec = d.record.as_dict()
    out = [_heading("+", c.address, f"create; {_inline(c.reason)}"), "",
           f"- **channel**: {_inline(d.channel.name)} ({_inline(d.channel.provider)})",
           f"- **at**: {_code(when(rec['at'], tz))}"]
    if "status" in rec:  # a draft: shown in Postiz's calendar, never published
        out.append(f"- **status**: {_code(rec['status'])} (never published)")
    if rec["media"]:
        out.append(f"- **media**: {_media(rec['media'], d.media_paths)}")
    for key in sorted(rec["settings"]):
        out.append(f"- **settings.{_inline(key)}**: {_value(rec['settings'][key])}")
    out += ["", "Caption:", "", _fenced(rec["content"].split("\n"), "text"), ""]
    return out


def _update(u, tz: tzinfo | None) -> list[str]:
    out = [_heading("~", u.address, f"change; post {_code(u.live.id)}; {_inline(u.reason)}"), "",
           f"- **channel**: {_inline(u.desired.channel.name)} ({_inline(u.desired.channel.provider)})"]
    if not any(f.path == "at" for f in u.fields):
        out.append(f"- **at**: {_code(when(u.desired.record.at, tz))} (unchanged)")
    out += [_field(f.path, f.old, f.new, tz, u.desired.media_paths) for f in u.fields]
    return [*out, ""]


def _delete(gone, tz: tzinfo | None) -> list[str]:
    applied = gone.owned.applied
    out = [_heading("-", gone.address, f"destroy; post {_code(gone.live.id)}; {_inline(gone.reason)}"), "",
           f"- **at**: {_code(when(gone.live.at, tz))}"]
    if applied is not None and applied.media:
        out.append(f"- **media**: {_media(applied.media)}")
    if applied is not None and applied.content:
        out += ["", "Caption:", "", _fenced(applied.content.split("\n"), "text")]
    return [*out, ""]


def _drift(dr, tz: tzinfo | None) -> list[str]:
    action = ("restoring the plan's version (--overwrite-drift)" if dr.restored
              else "kept" if dr.how != "published" else "kept (history)")
    out = [f"##### ! {_code(dr.address)} {DRIFT_WORDS.get(dr.how, _inline(dr.how))}: {action}", ""]
    out += [_field(f.path, f.old, f.new, tz) for f in dr.fields]
    if dr.how == "published" and dr.live is not None:
        url = dr.live.release_url
        out.append(f"- **releaseURL**: {_code(url) if url else '*(none yet)*'}")
    if dr.plan_also_changes and not dr.restored:
        out.append("- the plan also changes this post; its change waits until you choose")
    return [*out, ""]


# -- sections --------------------------------------------------------------------------


def _section(title: str, body: list[str], posts: int) -> list[str]:
    """`#### title` and its body, folded in <details> when it lists many posts."""
    if posts <= FOLD_OVER:
        return [f"#### {title}", "", *body]
    return [f"#### {title}", "", f"<details><summary>{posts} posts</summary>", "", *body, "", "</details>", ""]


def _notes(review: Review) -> list[str]:
    changes = review.changes
    out: list[str] = []
    for kind, title, *_ in NOTE_SECTIONS:
        notes = [n for n in changes.notes if n.kind == kind]
        if not notes:
            continue
        items = [f"- {_code(n.address)}: {_inline(n.message)}" for n in notes]
        items += [f"- hint: {_inline(h)}" for h in dict.fromkeys(n.hint for n in notes if n.hint)]
        out += _section(f"{_inline(title)}: {len(notes)}", [*items, ""], len(notes))
    if changes.remarks:
        items = [f"- {_code(r.address)} (post {_code(r.live.id)}, marker "
                 f"{'missing' if r.missing else 'out of date'})" for r in changes.remarks]
        out += _section(f"Ownership markers to write (not counted, nothing else changes): {len(changes.remarks)}",
                        [*items, ""], len(items))
    if review.notes:
        out += _section("From the last run", [*(f"- {_inline(n)}" for n in review.notes), ""], len(review.notes))
    return out


def _plan(review: Review) -> list[str]:
    changes, tz = review.changes, review.tz
    out = [f"### {_code(review.plan.path)} ({_inline(review.plan.name)})", ""]
    zone = getattr(tz, "key", None) or str(tz)
    out += [f"Times in {_code(zone)}.", ""]
    body: list[str] = []
    for c in changes.creates:
        body += _create(c, tz)
    for u in changes.updates:
        body += _update(u, tz)
    for gone in changes.deletes:
        body += _delete(gone, tz)
    if body:
        out += _section(_counts_title(changes), body, len(changes.changes))
    elif any(n.kind == "unproven" for n in changes.notes):  # as the text view: not "Postiz matches"
        out += ["No other changes (posts not created are listed below).", ""]
    else:
        out += ["No changes. Postiz matches the plan.", ""]
    if changes.drifts:
        drift = [line for dr in changes.drifts for line in _drift(dr, tz)]
        if any(not dr.restored and dr.how != "published" for dr in changes.drifts):
            drift += ["To keep these edits, run `cliper-sched pull PLAN` (writes them into the plan file); "
                      "to undo them, run apply with `--overwrite-drift`.", ""]
        out += _section(f"Edited in the dashboard (drift): {len(changes.drifts)}", drift, len(changes.drifts))
    return out + _notes(review)


def _counts_title(changes: ChangeSet) -> str:
    n = changes.counts()
    return f"Changes: {n['add']} to add, {n['change']} to change, {n['destroy']} to destroy"


# -- the table -------------------------------------------------------------------------


def _eta(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    return "within the budget" if seconds <= 0 else duration(seconds)


def _table(reviews: Sequence[Review], failures: Sequence[tuple[str, str]], totals: dict | None) -> list[str]:
    rows = ["| Plan | + add | ~ change | - destroy | ! drift | Counted requests | Time at the rate limit |",
            "| --- | ---: | ---: | ---: | ---: | ---: | --- |"]
    for r in reviews:
        n = r.changes.counts()
        rows.append(f"| {_code(r.plan.path, in_table=True)} | {n['add']} | {n['change']} | {n['destroy']} | "
                    f"{len(r.changes.drifts)} | {r.counted} | {_eta(r.eta)} |")
    for path, message in failures:
        rows.append(f"| {_code(path, in_table=True)} | — | — | — | — | — | **error**: {_inline(message)} |")
    if len(reviews) + len(failures) > 1:
        total = {k: sum(r.changes.counts()[k] for r in reviews) for k in ("add", "change", "destroy")}
        counted = (totals or {}).get("counted", sum(r.counted for r in reviews))
        eta = (totals or {}).get("eta_seconds", sum(r.eta for r in reviews))
        rows.append(f"| **Total** | {total['add']} | {total['change']} | {total['destroy']} | "
                    f"{sum(len(r.changes.drifts) for r in reviews)} | {counted} | {_eta(eta)} |")
    return rows


def _totals(totals: dict) -> str:
    text = f"Counted Postiz requests needed: **{totals.get('counted', 0)}**"
    least = totals.get("counted_min")
    if least is not None and least != totals.get("counted"):
        text += f" (at least {least})"
    eta = totals.get("eta_seconds")
    if eta is not None:
        text += (", within the current budget" if eta <= 0
                 else f", about {duration(eta)} of rate-limit waiting")
    if totals.get("rate"):
        text += f" at {_inline(totals['rate'])}"
    return text + "."


def render(reviews: Sequence[Review], *, failures: Sequence[tuple[str, str]] = (), totals: dict | None = None,
           full: bool = True) -> str:
    """The Markdown comment for the plans of one run: summary table, then each plan.

    `failures`: (plan path, error message) of plans that could not be compared.
    `totals`: {"counted", "counted_min", "eta_seconds", "rate"} for the whole run.
    `full=False` keeps the table and the counts only (a comment too long to post)."""
    out = ["## cliper-sched: changes to Postiz", "", *_table(reviews, failures, totals), ""]
    if totals:
        out += [_totals(totals), ""]
    if full:
        for review in reviews:
            out += _plan(review)
    return "\n".join(out).rstrip("\n") + "\n"
