"""Write dashboard edits (drift) back into the plan file, keeping its comments and order.

Per drifted address: a move sets `at`, a caption edit sets `caption`, a settings
edit sets `overrides.<ref>.settings.<key>`, a deletion removes the channel from
the post (and the post when it was its last channel). The post-level field is
used when the post has this one channel and no override or offset is involved;
otherwise the value goes into `overrides.<ref>`, so other channels keep theirs.

What is written reads back as the same value everywhere: ruamel (this module) reads
YAML 1.2, every other command reads YAML 1.1 through PyYAML, where a bare `yes` is
true and `12:30` is 750. New strings are bare only when both read them as that
text, else double-quoted, as `cliper-sched plan` writes them: a caption of several
lines too (`\n`), and zero-width, bidi and odd-space characters as escapes
(`\u200B`, planner.textsafe), so a reviewer sees them in `git diff`. The file keeps
its byte order mark and line endings, so `git diff` shows only the pulled lines.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml.comments import CommentedMap

from planner.errors import UserError
from planner.fsutil import PLAN_MAX_BYTES, atomic_write_text, read_capped
from planner.reconcile.changes import Drift
from planner.reconcile.records import Record
from planner.yamledit import quoted, round_trip, split_bom_and_newlines, value_for


@dataclass
class Pulled:
    address: str
    what: str  # human summary


def pull(plan_path: Path, plan: Any, drifts: list[Drift], live_records: dict[str, Record]) -> tuple[str, list[Pulled]]:
    """Return the new plan text and what changed; `live_records[address]` is the live value.

    The text keeps the file's byte order mark and line endings: `write` puts it as is.
    """
    text, bom, eol = split_bom_and_newlines(read_capped(plan_path, PLAN_MAX_BYTES, "the plan file"))
    y = round_trip(text)
    doc = y.load(text)
    posts = doc.get("posts") or []
    by_key = {p.get("key"): p for p in posts}
    plan_posts = {p.key: p for p in plan.posts}
    tz = plan.timezone
    done: list[Pulled] = []
    removed_posts: list = []
    for drift in drifts:
        if drift.how == "published":
            continue
        key, _, ref = drift.address.partition("@")
        node, model = by_key.get(key), plan_posts.get(key)
        if node is None or model is None:
            continue  # gone from the plan already: nothing to write back
        single = len(model.channels) == 1
        channel_cfg = plan.channels.get(ref)
        overrides = model.overrides.get(ref)
        if drift.how == "deleted":
            channels = node.get("channels")
            if ref in channels:
                channels.remove(ref)
            ov = node.get("overrides")
            if ov is not None and ref in ov:
                del ov[ref]
                if not ov:
                    del node["overrides"]
            if not channels:
                removed_posts.append(node)
                done.append(Pulled(drift.address, "deleted in Postiz: post removed from the plan"))
            else:
                done.append(Pulled(drift.address, f"deleted in Postiz: channel {ref} removed from the post"))
            continue
        live = live_records[drift.address]
        for change in drift.fields:
            if change.path == "at":
                value = live.at.astimezone(tz).isoformat()
                post_level = single and (overrides is None or overrides.at is None) and not (channel_cfg and channel_cfg.offset)
                if post_level:
                    node["at"] = quoted(value)
                else:
                    _override(node, ref)["at"] = quoted(value)
                done.append(Pulled(drift.address, f"at = {value}"))
            elif change.path == "content":
                post_level = single and (overrides is None or overrides.caption is None)
                if post_level:
                    node["caption"] = quoted(live.content)
                else:
                    _override(node, ref)["caption"] = quoted(live.content)
                done.append(Pulled(drift.address, "caption updated"))
            elif change.path == "status":  # set to draft, or scheduled, in the dashboard
                post_level = single and (overrides is None or overrides.status is None)
                (node if post_level else _override(node, ref))["status"] = live.status
                done.append(Pulled(drift.address, f"status = {live.status}"))
            elif change.path.startswith("settings."):
                name = change.path.split(".", 1)[1]
                ov = _override(node, ref)
                if "settings" not in ov:
                    ov["settings"] = CommentedMap()
                if name in live.settings:
                    ov["settings"][name] = value_for(live.settings[name])
                    done.append(Pulled(drift.address, f"settings.{name} = {live.settings[name]!r}"))
                else:
                    raise UserError(f"{drift.address}: settings.{name} was removed in Postiz; a plan "
                                    "cannot express a removed default", file=str(plan_path),
                                    hint="set the value you want in overrides.<channel>.settings by hand")
    for node in removed_posts:
        posts.remove(node)
    out = io.StringIO()
    y.dump(doc, out)
    # ruamel writes LF; scalars hold no raw CR (it escapes them), so this touches line ends only.
    new_text = out.getvalue().replace("\n", eol)
    return ("\ufeff" if bom else "") + new_text, done


def _override(node: CommentedMap, ref: str) -> CommentedMap:
    if "overrides" not in node or node["overrides"] is None:
        node["overrides"] = CommentedMap()
    if ref not in node["overrides"] or node["overrides"][ref] is None:
        node["overrides"][ref] = CommentedMap()
    return node["overrides"][ref]


def write(plan_path: Path, text: str) -> None:
    atomic_write_text(plan_path, text)
