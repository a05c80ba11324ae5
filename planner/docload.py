"""Hand-edited YAML in, plain data plus line numbers and readable problems out.

Shared by plan files and rules files: safe YAML only (no object tags), duplicate
keys refused (PyYAML would silently keep the last), dates left as strings, and
JSON-schema errors translated into words a creator understands, each with the
YAML line it points at.
"""

from __future__ import annotations

import difflib
import json
from functools import cache
from importlib import resources
from pathlib import Path

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


def parse_yaml(text: str, file: str) -> tuple[Document | None, list[Problem]]:
    problems: list[Problem] = []
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, [Problem("the file is empty", file=file)]
        lines: dict[Path_, int] = {}
        data = _build(loader, node, (), lines, problems, file)
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
    finally:
        loader.dispose()
    return Document(data, lines), problems


_STR = "tag:yaml.org,2002:str"


def _build(loader, node, path, lines, problems, file):
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        loader.flatten_mapping(node)  # YAML merge keys (<<)
        out = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                problems.append(Problem("a key must be a plain name", file=file,
                                        line=key_node.start_mark.line + 1, path=render_path(path) or None))
                continue
            # Keys are names: keep their text (`on:` stays "on", `123:` stays "123").
            key = key_node.value
            if key in out:
                problems.append(Problem(f"'{key}' appears twice here; the second one would silently win",
                                        file=file, line=key_node.start_mark.line + 1,
                                        path=render_path(path) or None, hint="keep only one of them"))
                continue
            lines[path + (key,)] = key_node.start_mark.line + 1
            out[key] = _build(loader, value_node, path + (key,), lines, problems, file)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_build(loader, item, path + (i,), lines, problems, file) for i, item in enumerate(node.value)]
    if node.tag == _STR:  # most values: skip the generic constructor (big plans)
        return node.value
    try:
        return loader.construct_object(node, deep=True)
    except yaml.constructor.ConstructorError as exc:
        problems.append(Problem(f"unsupported YAML tag {node.tag!r}: only plain values are allowed",
                                file=file, line=node.start_mark.line + 1, path=render_path(path) or None,
                                hint="remove the '!' tag"))
        del exc
        return None


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


def schema_problems(doc: Document, schema_name: str, file: str) -> list[Problem]:
    """Every schema violation, deepest first per location, in document order."""
    schema = load_schema(schema_name)
    validator = Draft202012Validator(schema)
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
