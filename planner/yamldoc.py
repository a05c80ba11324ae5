"""Hand-edited YAML in: plain data plus the line of every value, or located problems.

The reader of plan files and rules files: safe YAML only (no object tags),
duplicate keys refused (PyYAML would silently keep the last) though a key may
override one a `<<:` merge key brought in, dates left as strings, and a cap on
nesting and on alias expansion so a small hostile file cannot exhaust memory
or the stack. What the data means is checked elsewhere (`planner.schema`).
"""

from __future__ import annotations

import gc
import re
from contextlib import contextmanager
from itertools import accumulate
from pathlib import Path
from typing import TYPE_CHECKING, TypeAlias

import yaml

from planner.errors import Problem, UserError
from planner.fsutil import read_capped

# Where a value sits in a document: keys and list indexes, e.g. ("posts", 7, "at").
KeyPath = tuple

# libyaml's parser when present: 5-10x faster on big plans, same nodes and marks.
# The type checker sees SafeLoader, the class CSafeLoader stands in for.
if TYPE_CHECKING:
    _Base: TypeAlias = yaml.SafeLoader
else:
    _Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_Base):
    """SafeLoader that keeps `2026-12-01T09:00:00-06:00` and `2026-12-24` as text."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def render_path(path: KeyPath) -> str:
    """("posts", 7, "at") -> "posts[7].at", as messages show it."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


class Document:
    """Parsed YAML data plus `line(path)` for error messages."""

    def __init__(self, data, lines: dict[KeyPath, int]):
        self.data = data
        self.lines = lines

    def line(self, path: KeyPath) -> int | None:
        path = tuple(path)
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get((), None)


@contextmanager
def no_cycle_collection():
    """Pause Python's cycle collector while building a big tree of YAML nodes.

    Hundreds of thousands of new, acyclic objects trigger full collections over
    and over: on a 10,000-post plan that was two thirds of the parsing time.
    Reference counting still frees everything; cycles wait until the end.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


# Far deeper than any plan or rules file. Past some 20,000 levels libyaml's node
# composer overflows the C stack and kills the process: no exception to catch.
MAX_DEPTH = 200


def _deeper_than_max(text: str) -> bool:
    # Counted on the brackets first (cheap; brackets inside quotes count too), then, if
    # that says so, exactly on libyaml's events, which are read without recursion.
    brackets = re.sub(r"[^\[\]{}]+", "", text)
    if max(accumulate(1 if c in "[{" else -1 for c in brackets), default=0) <= MAX_DEPTH:
        return False
    depth = 0
    try:
        for event in yaml.parse(text, Loader=_Loader):
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    return True
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
    except yaml.YAMLError:
        pass  # reported by the real parse, with its line
    return False


def _too_deep(file: str) -> Problem:
    return Problem("the YAML is nested too deeply to read", file=file,
                   hint="a plan or rules file nests a few levels; is this the right file?")


def parse_yaml(text: str, file: str) -> tuple[Document | None, list[Problem]]:
    """The document in `text` (None when unreadable) and every problem found, named after `file`."""
    if _deeper_than_max(text):
        return None, [_too_deep(file)]
    problems: list[Problem] = []
    loader = _Loader(text)
    try:
        with no_cycle_collection():
            return _parse(loader, text, file, problems)
    finally:
        loader.dispose()


class _TooManyAliases(Exception):
    """The alias budget is spent: the file expands far beyond its size."""


def _parse(loader, text: str, file: str, problems: list[Problem]) -> tuple[Document | None, list[Problem]]:
    try:
        node = loader.get_single_node()
        if node is None:
            return None, [Problem("the file is empty", file=file)]
        lines: dict[KeyPath, int] = {}
        # Each node is built once per place it appears: * aliases repeat work, and a
        # few lines of nested aliases ("billion laughs") would expand without end.
        builder = _Builder(loader, lines, problems, file, budget=10 * len(text) + 10_000)
        data = builder.build(node, ())
    except _TooManyAliases:
        return None, [Problem("too many YAML aliases (*name): the file expands to far more data than it holds",
                              file=file, hint="write the values out instead of using &anchors and *aliases")]
    except RecursionError:  # hundreds of indented levels
        return None, [_too_deep(file)]
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        what = exc.problem or exc.context or "invalid YAML"
        hint = "check the indentation and quotes around this line"
        if "tab" in str(what):
            hint = "YAML does not allow tabs for indentation; use spaces"
        return None, [Problem(f"YAML syntax error: {what}", file=file,
                              line=(mark.line + 1) if mark else None, hint=hint)]
    except yaml.YAMLError as exc:
        return None, [Problem(f"YAML error: {exc}", file=file)]
    return Document(data, lines), problems


_STR = "tag:yaml.org,2002:str"
_MERGE = "tag:yaml.org,2002:merge"
_PLAIN_COLLECTIONS = {"tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"}


class _Builder:
    """YAML nodes -> plain data, recording the line of every path."""

    def __init__(self, loader, lines, problems, file, budget: int):
        self.loader, self.lines, self.problems, self.file, self.budget = loader, lines, problems, file, budget

    def unsupported_tag(self, node, path) -> None:
        self.problems.append(Problem(f"unsupported YAML tag {node.tag!r}: only plain values are allowed",
                                     file=self.file, line=node.start_mark.line + 1,
                                     path=render_path(path) or None, hint="remove the '!' tag"))

    def build(self, node, path):
        self.budget -= 1
        if self.budget < 0:
            raise _TooManyAliases
        self.lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode | yaml.SequenceNode) and node.tag not in _PLAIN_COLLECTIONS:
            self.unsupported_tag(node, path)  # e.g. !!python/object/apply on a list: never built
            return None
        if isinstance(node, yaml.MappingNode):
            return self.mapping(node, path)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, path + (i,)) for i, item in enumerate(node.value)]
        if node.tag == _STR:  # most values: skip the generic constructor (big plans)
            return node.value
        try:
            return self.loader.construct_object(node, deep=True)
        except yaml.constructor.ConstructorError:
            self.unsupported_tag(node, path)
            return None

    def mapping(self, node, path):
        merged, own = self.pairs(node)
        chosen = {}
        # Keys are names: keep their text (`on:` stays "on", `123:` stays "123").
        for key_node, value_node in merged:  # reported where they are written, not here
            if isinstance(key_node, yaml.ScalarNode):
                chosen[key_node.value] = (key_node, value_node)
        mine = set()
        for key_node, value_node in own:
            if not isinstance(key_node, yaml.ScalarNode):
                self.problems.append(Problem("a key must be a plain name", file=self.file,
                                             line=key_node.start_mark.line + 1, path=render_path(path) or None))
                continue
            key = key_node.value
            if key in mine:
                self.problems.append(Problem(f"'{key}' appears twice here; the second one would silently win",
                                             file=self.file, line=key_node.start_mark.line + 1,
                                             path=render_path(path) or None, hint="keep only one of them"))
                continue
            mine.add(key)
            chosen[key] = (key_node, value_node)  # overriding a merged key is what `<<` is for
        out = {}
        for key, (key_node, value_node) in chosen.items():
            self.lines[path + (key,)] = key_node.start_mark.line + 1
            out[key] = self.build(value_node, path + (key,))
        return out

    def pairs(self, node):
        """(merged, own) key/value nodes of a mapping. `<<: *base` and `<<: [*a, *b]`
        merge keys are expanded, with YAML's precedence when applied in order: later
        merged pairs win over earlier ones (the first source listed wins), own over merged.
        Nodes are left untouched: an anchored mapping reads the same wherever it is used."""
        merged, own = [], []
        for key_node, value_node in node.value:
            if key_node.tag != _MERGE:
                own.append((key_node, value_node))
                continue
            sources = value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
            for source in reversed(sources):
                if not isinstance(source, yaml.MappingNode):
                    raise yaml.constructor.ConstructorError(
                        "while constructing a mapping", node.start_mark,
                        "a merge key (<<) takes a mapping or a list of mappings", source.start_mark)
                inner_merged, inner_own = self.pairs(source)
                merged += inner_merged + inner_own
                self.budget -= 1 + len(inner_merged) + len(inner_own)  # merges of merges multiply too
                if self.budget < 0:
                    raise _TooManyAliases
        return merged, own


def read_text(path: Path, file: str, *, cap: int, what: str) -> tuple[str | None, list[Problem]]:
    """The file's text (UTF-8, a BOM allowed), or why it cannot be read. `what` ("the
    plan file") names it in messages; a file that is not regular (a link to /dev/zero,
    a FIFO) or larger than `cap` bytes is refused unread (planner.fsutil.read_capped)."""
    try:
        raw = read_capped(path, cap, what, file=file)
    except UserError as exc:
        return None, exc.problems
    except FileNotFoundError:
        return None, [Problem("no such file", file=file)]
    except IsADirectoryError:
        return None, [Problem("is a folder, not a file", file=file)]
    except OSError as exc:
        return None, [Problem(f"cannot read the file ({exc.strerror or exc})", file=file)]
    try:
        return raw.decode("utf-8-sig"), []
    except UnicodeDecodeError as exc:
        return None, [Problem(f"not UTF-8 text (byte {exc.start})", file=file,
                              hint="save the file as UTF-8")]
