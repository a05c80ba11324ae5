"""Write a `plan --update` merge (planner.update) into the plan file, in place.

Like `pull` (planner.reconcile.pull, whose round-trip YAML this shares), the
file keeps its comments, order, quoting, byte order mark and line endings:
`git diff` shows the merged fields, the removed and added posts, the header's
summary lines and the `generated:` section (written again at the end), nothing else.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping
from pathlib import Path

from ruamel.yaml.comments import CommentedMap

from planner.fsutil import PLAN_MAX_BYTES, read_capped
from planner.planfile import dump_generated, dump_plan
from planner.textsafe import printable
from planner.update import Merge
from planner.yamledit import quoted, round_trip, split_bom_and_newlines, value_for

# Header lines `plan` writes that an update brings up to date (planner.header).
SUMMARY_PREFIXES = ("# cliper-sched plan ", "# first post ")
COMMAND_PREFIX = "# made by"


def merged_text(plan_path: Path, merge: Merge, header: str, *, new_command: bool) -> str:
    """The plan file's text with `merge` applied. `header`: the header `plan` would
    write now; its summary lines replace the file's (and its `made by` line too
    when `new_command`: options were given again)."""
    text, bom, eol = split_bom_and_newlines(read_capped(plan_path, PLAN_MAX_BYTES, "the plan file"))
    y = round_trip(text)
    doc = y.load(text)
    posts = doc.get("posts")
    by_key = {p.get("key"): p for p in posts or []}
    for key, edits in merge.edits.items():
        _edit(by_key[key], edits)
    for key in merge.removed:
        posts.remove(by_key[key])
    if merge.added:
        new = y.load(dump_plan({"posts": merge.added}, ""))["posts"]
        if posts is None or not posts:  # `posts: []` is a flow list: start a block one
            doc["posts"] = new
        else:
            posts.extend(new)
    if "generated" in doc:
        del doc["generated"]  # written again, whole, at the end
    out = io.StringIO()
    y.dump(doc, out)
    body = out.getvalue().rstrip("\n") + "\n"
    if merge.added and posts:
        body = _blank_line_before(body, merge.added[0]["key"])
    body = _refresh_header(body, header, new_command) + "\n" + dump_generated(merge.base)
    return ("\ufeff" if bom else "") + body.replace("\n", eol)


def _edit(node: CommentedMap, edits: Mapping) -> None:
    if "caption" in edits:
        node["caption"] = quoted(edits["caption"])
    if "media" in edits:
        media = node.get("media")
        if not isinstance(media, CommentedMap):
            media = node["media"] = CommentedMap()
        for name in ("path", "sha256"):
            if media.get(name) != edits["media"][name]:
                media[name] = quoted(edits["media"][name]) if name == "path" else value_for(edits["media"][name])
    if "overrides" in edits:
        _set_overrides(node, edits["overrides"])


def _set_overrides(node: CommentedMap, wanted: Mapping) -> None:
    """The templated parts (caption, settings) of each channel's override become
    `wanted`'s; anything else in an override (`at`) stays."""
    overrides = node.get("overrides")
    if overrides is None:
        overrides = node["overrides"] = CommentedMap()
    for ref in list(overrides) + [r for r in wanted if r not in overrides]:
        want = wanted.get(ref, {})
        ov = overrides.get(ref)
        if ov is None:
            ov = overrides[ref] = CommentedMap()
        if "caption" in want:
            if ov.get("caption") != want["caption"]:
                ov["caption"] = quoted(want["caption"])
        elif "caption" in ov:
            del ov["caption"]
        settings = want.get("settings") or {}
        if settings:
            have = ov.get("settings")
            if not isinstance(have, CommentedMap):
                have = ov["settings"] = CommentedMap()
            for name in [n for n in have if n not in settings]:
                del have[name]
            for name, value in settings.items():
                if have.get(name) != value:
                    have[name] = value_for(value)
        elif "settings" in ov:
            del ov["settings"]
        if not ov:
            del overrides[ref]
    if not overrides:
        del node["overrides"]


def _blank_line_before(body: str, key: str) -> str:
    # Posts are set apart by a blank line, as `plan` writes them; ruamel keeps the
    # ones it read, the first added post needs its own.
    return re.sub(rf"(?<!\n)\n([ \t]*- key: {re.escape(key)}\n)", r"\n\n\1", body, count=1)


def _refresh_header(body: str, header: str, new_command: bool) -> str:
    """The file's header comment with `plan`'s summary lines (and `made by` line) from `header`."""
    prefixes = SUMMARY_PREFIXES + ((COMMAND_PREFIX,) if new_command else ())
    fresh = {}
    for line in header.splitlines():
        text = f"# {printable(line)}".rstrip()  # as dump_plan writes it
        fresh.update({p: text for p in prefixes if text.startswith(p)})
    lines = body.split("\n")
    for i, line in enumerate(lines):
        if not line.startswith("#"):
            break  # the header is the comment block on top
        for prefix, text in fresh.items():
            if line.startswith(prefix):
                lines[i] = text
    return "\n".join(lines)
