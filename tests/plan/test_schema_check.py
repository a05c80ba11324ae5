"""The fast schema check never lets through what jsonschema (the reference) rejects.

`schema.schema_problems` asks a compiled validator first and only runs
jsonschema, which words the errors, when that one says no. If the compiled one
ever accepted a document jsonschema rejects, a broken plan would pass
`validate` silently; this mutates valid documents field by field to prove not.
"""

from __future__ import annotations

import copy

import pytest
import yaml
from jsonschema import Draft202012Validator

from planner.schema import compiled_check, load_schema
from support.workspaces import make_workspace

ODD_VALUES = [None, True, 0, -1, 1.5, "", "x\n", "2026-12-01T09:00:00-06:00", [], ["a", "a"], {}, {"zz": 1}]


def _paths(value, here=()):
    yield here
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _paths(v, here + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _paths(v, here + (i,))


def _mutations(doc):
    for path in _paths(doc):
        if not path:
            continue
        *parent_path, last = path
        for odd in ODD_VALUES + ["<deleted>", "<extra field>"]:
            mutated = copy.deepcopy(doc)
            parent = mutated
            for part in parent_path:
                parent = parent[part]
            if odd == "<deleted>":
                del parent[last]
            elif odd == "<extra field>":
                if not isinstance(parent[last], dict):
                    continue
                parent[last]["surprise"] = 1
            else:
                parent[last] = copy.deepcopy(odd)
            yield path, odd, mutated


def _quick_says_valid(name, doc) -> bool:
    try:
        compiled_check(name)(doc)
        return True
    except Exception:  # fastjsonschema.JsonSchemaException
        return False


def _agree(name, doc):
    reference = Draft202012Validator(load_schema(name))
    assert reference.is_valid(doc) and _quick_says_valid(name, doc)
    checked = 0
    for path, odd, mutated in _mutations(doc):
        if not reference.is_valid(mutated):
            checked += 1
            assert not _quick_says_valid(name, mutated), f"{name}: {path} = {odd!r} slips through"
    assert checked > 20


def test_plan_schema_quick_check_agrees(tmp_path, cli):
    make_workspace(tmp_path / "ws", clips=2)
    rules = tmp_path / "rules.yaml"
    rules.write_text('timezone: UTC\nstart: "2026-12-01 09:00"\ninterval: 1d\nchannels:\n'
                     '  yt: {provider: youtube, offset: 15m, settings: {type: public},'
                     ' settings_templates: {title: "{title:40}"}}\n  tt: {caption_template: "{text}"}\n',
                     encoding="utf-8")
    res = cli("plan", tmp_path / "ws", "--rules", rules)
    assert res.code == 0, res.err
    doc = yaml.safe_load(res.out)
    doc["posts"][0]["overrides"]["yt"]["at"] = "2026-12-01T10:00:00+00:00"
    del doc["posts"][1]["media"]  # optional
    _agree("plan.schema.json", doc)


@pytest.mark.parametrize("extra", [{"interval": "4h"}, {"slots": {"mon": ["09:00"], "daily": ["18:00"]}}])
def test_rules_schema_quick_check_agrees(extra):
    doc = {"version": 1, "timezone": "Europe/Madrid", "start": "2026-12-01 09:00", "max_per_day": 2,
           "blackout": ["2026-12-24..2026-12-26", "2027-01-01"], "order": "viral_potential",
           "include_uncaptioned": True, "caption_template": "Clip {clip}",
           "channels": {"yt": {"provider": "youtube", "offset": "-10m", "settings": {"type": "public"},
                               "caption_template": "{text}", "settings_templates": {"title": "{title:80}"}}},
           **extra}
    _agree("rules.schema.json", doc)


@pytest.mark.parametrize("name", ["plan.schema.json", "rules.schema.json"])
def test_every_field_is_documented(name):
    schema = load_schema(name)
    undocumented = []

    def walk(node, where):
        if isinstance(node, dict):
            for field, sub in (node.get("properties") or {}).items():
                target = schema["$defs"].get(sub.get("$ref", "").rpartition("/")[2], {}) if "$ref" in sub else {}
                if "description" not in sub and "description" not in target:
                    undocumented.append(f"{where}.{field}")
            for key, sub in node.items():
                walk(sub, f"{where}/{key}")
        elif isinstance(node, list):
            for sub in node:
                walk(sub, where)

    walk(schema, "")
    assert undocumented == []
