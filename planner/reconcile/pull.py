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

import codecs
import io
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.emitter import RoundTripEmitter
from ruamel.yaml.nodes import ScalarNode
from ruamel.yaml.representer import RoundTripRepresenter
from ruamel.yaml.resolver import VersionedResolver
from ruamel.yaml.scalarstring import DoubleQuotedScalarString
from ruamel.yaml.util import load_yaml_guess_indent

from planner.errors import UserError
from planner.fsutil import PLAN_MAX_BYTES, atomic_write_text, read_capped
from planner.reconcile.changes import Drift
from planner.reconcile.records import Record
from planner.textsafe import yaml_escaped
from planner.yamldoc import parse_yaml


@dataclass
class Pulled:
    address: str
    what: str  # human summary


class _Representer(RoundTripRepresenter):
    def represent_float(self, data: float):
        # PyYAML (YAML 1.1) wants a dot in the mantissa: `1e+20` is text to it, `1.0e+20` a number.
        # Only new values get here: floats already in the file keep their own spelling.
        text = repr(data).lower()
        if math.isfinite(data) and "e" in text and "." not in text:
            return self.represent_scalar("tag:yaml.org,2002:float", text.replace("e", ".0e", 1))
        return super().represent_float(data)


_Representer.add_representer(float, _Representer.represent_float)


class _Capture:
    def __init__(self) -> None:
        self.parts: list = []

    def write(self, data) -> None:
        self.parts.append(data)


class _Emitter(RoundTripEmitter):
    """ruamel's emitter, but hidden characters in double-quoted values are written as
    escapes: ruamel writes them as they are, invisible in the file and in `git diff`."""

    def write_double_quoted(self, text: Any, split: Any = True) -> None:
        real, capture = self.stream, _Capture()
        self.stream = capture  # one scalar's text, escaped before it reaches the file
        try:
            super().write_double_quoted(text, split)
        finally:
            self.stream = real
        if capture.parts and isinstance(capture.parts[0], bytes):  # an emitter given an encoding
            encoding = self.encoding or "utf-8"
            real.write(yaml_escaped(b"".join(capture.parts).decode(encoding)).encode(encoding))
        else:
            real.write(yaml_escaped("".join(capture.parts)))


def _yaml(text: str) -> YAML:
    # Round-trip, loading as YAML 1.2: untouched lines are written back as they were
    # (loading as 1.1 would rewrite `yes` as `true` and `12:30` as `750`).
    y = YAML()  # round-trip: comments, order and quoting survive
    y.Representer = _Representer
    y.Emitter = _Emitter
    y.preserve_quotes = True
    y.width = 4096
    # Keep the file's own indentation, so `git diff` after a pull shows only
    # the pulled values, not a re-indented document.
    _, indent, block_seq_indent = load_yaml_guess_indent(text)
    indent = indent or 2
    y.indent(mapping=indent, sequence=indent + (block_seq_indent or 0), offset=block_seq_indent or 0)
    return y


def _q(value: str) -> DoubleQuotedScalarString:
    """New strings are written double-quoted, like `cliper-sched plan` writes them."""
    return DoubleQuotedScalarString(value)


_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.\-/]*")  # what `plan` may write bare: names, digests
_STR = "tag:yaml.org,2002:str"
# YAML 1.1 in full (`y`/`n` are booleans there, not in PyYAML) and 1.2 (the next pull).
_RESOLVERS = (VersionedResolver(version=(1, 1)), VersionedResolver(version=(1, 2)))


def _bare_is_text(text: str) -> bool:
    """Whether `text` written bare reads back as this very string in every reader."""
    if not _NAME.fullmatch(text):
        return False
    if any(str(r.resolve(ScalarNode, text, (True, False))) != _STR for r in _RESOLVERS):
        return False
    doc, _ = parse_yaml(f"v: {text}\n", "<pulled value>")  # the reader of validate, diff, apply
    return doc is not None and doc.data == {"v": text}


def _value(value: Any) -> Any:
    """A value from Postiz, as ruamel must hold it so that every reader reads it back equal."""
    if isinstance(value, str):
        return value if _bare_is_text(value) else _q(value)
    if isinstance(value, dict):
        # Keys are names to the plan's reader (`on:` stays "on"): only values need care.
        return CommentedMap((k, _value(v)) for k, v in value.items())
    if isinstance(value, list):
        return CommentedSeq(_value(v) for v in value)
    return value  # bool, int, float (see _Representer), None


def _split_bom_and_newlines(raw: bytes) -> tuple[str, bool, str]:
    """(LF text, had a BOM, the file's line ending): CRLF when most lines end with it."""
    bom = raw.startswith(codecs.BOM_UTF8)
    text = raw.decode("utf-8-sig")
    eol = "\r\n" if 2 * text.count("\r\n") > text.count("\n") else "\n"
    return text.replace("\r\n", "\n").replace("\r", "\n"), bom, eol


def pull(plan_path: Path, plan: Any, drifts: list[Drift], live_records: dict[str, Record]) -> tuple[str, list[Pulled]]:
    """Return the new plan text and what changed; `live_records[address]` is the live value.

    The text keeps the file's byte order mark and line endings: `write` puts it as is.
    """
    text, bom, eol = _split_bom_and_newlines(read_capped(plan_path, PLAN_MAX_BYTES, "the plan file"))
    y = _yaml(text)
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
                    node["at"] = _q(value)
                else:
                    _override(node, ref)["at"] = _q(value)
                done.append(Pulled(drift.address, f"at = {value}"))
            elif change.path == "content":
                post_level = single and (overrides is None or overrides.caption is None)
                if post_level:
                    node["caption"] = _q(live.content)
                else:
                    _override(node, ref)["caption"] = _q(live.content)
                done.append(Pulled(drift.address, "caption updated"))
            elif change.path.startswith("settings."):
                name = change.path.split(".", 1)[1]
                ov = _override(node, ref)
                if "settings" not in ov:
                    ov["settings"] = CommentedMap()
                if name in live.settings:
                    ov["settings"][name] = _value(live.settings[name])
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
