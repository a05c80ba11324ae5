"""Round-trip editing of plan files: comments, order, quoting, BOM and line endings kept.

Used by `pull` (dashboard edits into the plan) and `plan --update` (CLIPER's changes
into the plan). ruamel reads YAML 1.2, every other command reads YAML 1.1 through
PyYAML, where a bare `yes` is true and `12:30` is 750: new strings are written bare
only when both read them as that text, else double-quoted as `cliper-sched plan`
writes them, hidden characters as escapes (`\u200B`, planner.textsafe).
"""

from __future__ import annotations

import codecs
import math
import re
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.emitter import RoundTripEmitter
from ruamel.yaml.nodes import ScalarNode
from ruamel.yaml.representer import RoundTripRepresenter
from ruamel.yaml.resolver import VersionedResolver
from ruamel.yaml.scalarstring import DoubleQuotedScalarString
from ruamel.yaml.util import load_yaml_guess_indent

from planner.textsafe import yaml_escaped
from planner.yamldoc import parse_yaml


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


def round_trip(text: str) -> YAML:
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


def quoted(value: str) -> DoubleQuotedScalarString:
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


def value_for(value: Any) -> Any:
    """A value from Postiz, as ruamel must hold it so that every reader reads it back equal."""
    if isinstance(value, str):
        return value if _bare_is_text(value) else quoted(value)
    if isinstance(value, dict):
        # Keys are names to the plan's reader (`on:` stays "on"): only values need care.
        return CommentedMap((k, value_for(v)) for k, v in value.items())
    if isinstance(value, list):
        return CommentedSeq(value_for(v) for v in value)
    return value  # bool, int, float (see _Representer), None


def split_bom_and_newlines(raw: bytes) -> tuple[str, bool, str]:
    """(LF text, had a BOM, the file's line ending): CRLF when most lines end with it."""
    bom = raw.startswith(codecs.BOM_UTF8)
    text = raw.decode("utf-8-sig")
    eol = "\r\n" if 2 * text.count("\r\n") > text.count("\n") else "\n"
    return text.replace("\r\n", "\n").replace("\r", "\n"), bom, eol
