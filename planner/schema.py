"""Is a document what its JSON schema allows? And if not, why, in a creator's words.

A compiled validator answers the common case (a valid document) fast;
jsonschema, the reference, then explains each violation, which `_explain`
turns into a message and a hint pointing at the document's line.
`read_document` is the whole read of a hand-edited file: text, YAML, schema.
"""

from __future__ import annotations

import difflib
import hashlib
import importlib
import json
from functools import cache
from pathlib import Path

from planner.errors import Problem
from planner.yamldoc import Document, parse_yaml, read_text, render_path


def read_document(path: Path, schema_name: str, *, cap: int, what: str, not_fields: str,
                  hint: str | None = None) -> tuple[Document | None, list[Problem]]:
    """The YAML file at `path` checked against `schema_name`: the document, or None and why.

    `cap` and `what` bound the read (yamldoc.read_text); `not_fields` (and `hint`) say
    what the file should be when it is YAML but not a set of fields, e.g. a bare list
    or a single word.
    """
    file = str(path)
    text, problems = read_text(path, file, cap=cap, what=what)
    if text is None:
        return None, problems
    doc, problems = parse_yaml(text, file)
    if doc is None or problems:
        return None, problems
    if not isinstance(doc.data, dict):
        return None, [Problem(not_fields, file=file, line=1, hint=hint)]
    problems = schema_problems(doc, schema_name, file)
    if problems:
        return None, problems
    return doc, []


# The schemas ship as files beside this module (package data; pip installs packages as
# files). Read by path: importlib.resources costs ~10 ms to import, which `plan` and
# `validate`, the commands that never load the HTTP stack (which imports it anyway),
# would pay on every run.
SCHEMAS = Path(__file__).resolve().parent / "schemas"


@cache
def load_schema(name: str) -> dict:
    """One of the JSON schemas shipped in planner/schemas/."""
    return json.loads((SCHEMAS / name).read_text("utf-8"))


@cache
def _reference_validator(name: str):
    # Imported only to explain a failure: most runs never need jsonschema (~0.1 s to import).
    from jsonschema import Draft202012Validator

    return Draft202012Validator(load_schema(name))


@cache
def compiled_check(name: str):
    """The schema compiled to Python code: ~30x faster than jsonschema on a clean
    10,000-post plan. It only says yes or no; jsonschema, the reference, explains.
    An installed package carries that code, generated when it was built (setup.py);
    it is used only if made from this very schema, else the schema is compiled here."""
    raw = (SCHEMAS / name).read_bytes()
    try:
        built = importlib.import_module(f"planner._compiled_schemas.{name.removesuffix('.schema.json')}")
    except ImportError:  # a source checkout: nothing was built
        built = None
    if built is not None and getattr(built, "SCHEMA_SHA256", None) == hashlib.sha256(raw).hexdigest():
        return built.validate
    import fastjsonschema  # its compiler: a source checkout, or a schema changed since the build

    return fastjsonschema.compile(load_schema(name))


# What a compiled check raises for a document its schema rejects: fastjsonschema's
# JsonSchemaException, or the build's own Invalid (setup.py); both are ValueErrors.
# Anything it raises is settled by jsonschema, the reference, which explains it.
REJECTED = ValueError


def schema_errors(data, schema_name: str) -> list:
    """jsonschema's errors for `data` (none when the compiled check passes), by location."""
    try:
        compiled_check(schema_name)(data)
        return []
    except REJECTED:
        return sorted(_reference_validator(schema_name).iter_errors(data), key=lambda e: list(map(str, e.absolute_path)))


def schema_problems(doc: Document, schema_name: str, file: str) -> list[Problem]:
    """Every schema violation, deepest first per location, in document order."""
    try:
        compiled_check(schema_name)(doc.data)
        return []
    except REJECTED:
        pass  # explained below, in a creator's words
    validator = _reference_validator(schema_name)
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


# --- jsonschema errors in words --------------------------------------------

_TYPE_WORDS = {"object": "a set of 'name: value' fields", "array": "a list", "string": "text",
               "integer": "a whole number", "number": "a number", "boolean": "true or false",
               "null": "empty"}


def _type_name(value) -> str:
    """What the user wrote, in the words of the messages ("a list", "text")."""
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
        hints = err.schema.get("x-missing") if isinstance(err.schema, dict) else None
        yield path, f"missing field '{missing}'", (hints or {}).get(missing) or custom
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
