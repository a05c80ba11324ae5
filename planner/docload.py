"""Hand-edited YAML in, plain data plus line numbers and readable problems out.

Shared by plan files and rules files: safe YAML only (no object tags), duplicate
keys refused (PyYAML would silently keep the last) though a key may override one
a `<<:` merge key brought in, dates left as strings, and
JSON-schema errors translated into words a creator understands, each with the
YAML line it points at.
"""

from __future__ import annotations

import difflib
import gc
import json
import re
from contextlib import contextmanager
from functools import cache
from importlib import resources
from itertools import accumulate
from pathlib import Path

import fastjsonschema
import yaml
from jsonschema import Draft202012Validator

from planner.errors import Problem

Path_ = tuple  # ("posts", 7, "at")


# libyaml's parser when present: 5-10x faster on big plans, same nodes and marks.
_Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_Base):
    """SafeLoader that keeps `2026-12-01T09:00:00-06:00` and `2026-12-24` as text."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def render_path(path: Path_) -> str:
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


class Document:
    """Parsed YAML data plus `line(path)` for error messages."""

    def __init__(self, data, lines: dict[Path_, int]):
        self.data = data
        self.lines = lines

    def line(self, path: Path_) -> int | None:
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
    pass


def _parse(loader, text: str, file: str, problems: list[Problem]) -> tuple[Document | None, list[Problem]]:
    try:
        node = loader.get_single_node()
        if node is None:
            return None, [Problem("the file is empty", file=file)]
        lines: dict[Path_, int] = {}
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


@cache
def load_schema(name: str) -> dict:
    return json.loads(resources.files("planner").joinpath("schemas", name).read_text("utf-8"))


_TYPE_WORDS = {"object": "a set of 'name: value' fields", "array": "a list", "string": "text",
               "integer": "a whole number", "number": "a number", "boolean": "true or false",
               "null": "empty"}


def _type_name(value) -> str:
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, dict):
        return "a set of fields"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, int | float):
        return "a number"
    return "text"


@cache
def _validator(name: str) -> Draft202012Validator:
    return Draft202012Validator(load_schema(name))


@cache
def _quick_check(name: str):
    """The schema compiled to Python code: ~30x faster than jsonschema on a clean
    10,000-post plan. It only says yes or no; jsonschema, the reference, explains."""
    return fastjsonschema.compile(load_schema(name))


def schema_errors(data, schema_name: str) -> list:
    """jsonschema's errors for `data` (none when the compiled check passes), by location."""
    try:
        _quick_check(schema_name)(data)
        return []
    except fastjsonschema.JsonSchemaException:
        return sorted(_validator(schema_name).iter_errors(data), key=lambda e: list(map(str, e.absolute_path)))


def schema_problems(doc: Document, schema_name: str, file: str) -> list[Problem]:
    """Every schema violation, deepest first per location, in document order."""
    try:
        _quick_check(schema_name)(doc.data)
        return []
    except fastjsonschema.JsonSchemaException:
        pass  # explained below, in a creator's words
    validator = _validator(schema_name)
    problems: list[Problem] = []
    seen: set[tuple[str, str]] = set()
    errors = sorted(validator.iter_errors(doc.data), key=lambda e: (doc.line(e.absolute_path) or 0, list(map(str, e.absolute_path))))
    for err in errors:
        for path, message, hint in _explain(err):
            where = render_path(path)
            if (where, message) in seen:
                continue
            seen.add((where, message))
            problems.append(Problem(message, file=file, path=where or None, line=doc.line(path), hint=hint))
    return problems


def _explain(err):
    """(path, message, hint) in creator's words for one jsonschema error."""
    path = tuple(err.absolute_path)
    custom = err.schema.get("x-message") if isinstance(err.schema, dict) else None
    kind = err.validator
    if kind in ("oneOf", "anyOf") and err.context:
        # Report the branch that got furthest, not the whole alternative list.
        best = max(err.context, key=lambda e: (len(e.absolute_path), -len(list(e.context or []))))
        if custom:
            yield path, custom, None
            return
        yield from _explain(best)
        return
    if kind == "additionalProperties":
        allowed = sorted(err.schema.get("properties", {}))
        extra = [k for k in err.instance if k not in err.schema.get("properties", {})]
        for key in extra:
            close = difflib.get_close_matches(str(key), allowed, n=1, cutoff=0.6)
            guess = f" (did you mean '{close[0]}'?)" if close else ""
            yield path + (key,), f"unknown field '{key}'{guess}", f"allowed here: {', '.join(allowed)}"
        return
    if kind == "required":
        missing = err.message.split("'")[1] if "'" in err.message else err.message
        yield path, f"missing field '{missing}'", custom
        return
    if custom:
        yield path, custom, None
        return
    if kind == "type":
        want = err.validator_value if isinstance(err.validator_value, list) else [err.validator_value]
        words = " or ".join(_TYPE_WORDS.get(w, w) for w in want)
        yield path, f"must be {words}, not {_type_name(err.instance)}", None
        return
    if kind == "enum":
        options = ", ".join(str(v) for v in err.validator_value)
        options_list = [str(v) for v in err.validator_value]
        close = [o for o in options_list if o.startswith(str(err.instance))][:1] or \
            difflib.get_close_matches(str(err.instance), options_list, n=1)
        guess = f" (did you mean '{close[0]}'?)" if close else ""
        yield path, f"{err.instance!r} is not allowed{guess}", f"use one of: {options}"
        return
    if kind == "const":
        yield path, f"must be {err.validator_value!r}", None
        return
    if kind in ("minItems",):
        yield path, "must not be empty" if err.validator_value == 1 else f"needs at least {err.validator_value} items", None
        return
    if kind == "minLength":
        yield path, "must not be empty" if err.validator_value == 1 else f"must be at least {err.validator_value} characters", None
        return
    if kind == "uniqueItems":
        yield path, "lists the same value twice", None
        return
    if kind in ("minimum", "exclusiveMinimum"):
        yield path, f"must be at least {err.validator_value}", None
        return
    if kind == "pattern":
        yield path, f"{err.instance!r} has the wrong format", None
        return
    yield path, err.message, None


def read_text(path: Path, file: str) -> tuple[str | None, list[Problem]]:
    try:
        raw = path.read_bytes()
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
