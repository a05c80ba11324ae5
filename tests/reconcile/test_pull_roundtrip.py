"""`pull` writes what the rest of the tool reads back unchanged: settings keep their
type under the YAML 1.1 reader every command uses (`"yes"` is not `true`, `"12:30"`
is not 750), and the plan keeps its line endings and byte order mark."""

from __future__ import annotations

import codecs
import difflib
import json
from datetime import UTC, datetime

import pytest

from planner.planfile import load_plan
from planner.providers import PROVIDERS, default_settings
from planner.reconcile import pull as pull_mod
from planner.reconcile.diff import Drift
from planner.reconcile.records import FieldChange, Record
from support.reconcile_helpers import PlanFile, run

# Strings a YAML 1.1 reader (PyYAML, so every command but pull) resolves to another
# type when written bare, and neighbours that must stay bare-safe.
AWKWARD = [
    "yes", "no", "on", "off", "y", "n", "Y", "N", "Yes", "NO", "On", "OFF",
    "true", "false", "True", "FALSE", "null", "Null", "NULL", "~",
    "1", "0", "-1", "+1", "0x1f", "0o17", "0b101", "1_000", "1e3", "1.5", ".5", "1.", "010",
    ".inf", "-.Inf", ".nan", "2026-11-30", "2026-11-30T09:00:00-06:00", "2026-11-30 12:00",
    "12:30", "1:20:3.5", "190:20:30", "", " ", " lead", "trail ", "=", "<<",
    "a: b", "# not a comment", "- item", "[x]", "{x}", "multi\nline", "tab\there",
    "crlf\r\ninside", "'", '"', "emoji ✅", "plain-name", "PUBLIC_TO_EVERYONE",
]
# What Postiz can hold besides text (JSON: no inf/nan).
OTHER = [True, False, 0, 1, -7, 1.5, 1e20, 1e-7, None,
         ["yes", "12:30", 1, True, None], {"on": "off", "n": ["010", {"y": "~"}], "1": 2}]
# The end-to-end cases: the issue's list.
ISSUE = ["yes", "no", "on", "off", "y", "n", "true", "false", "null", "~",
         "1", "0x1f", "1_000", "1e3", "010", "2026-11-30", "12:30", ""]

T = datetime(2031, 3, 1, 14, 0, tzinfo=UTC)


def _typed(value) -> str:
    # JSON tells "1" from 1, 1 from 1.0 and 1 from true, which == does not.
    return json.dumps(value, sort_keys=True)


def _pull(plan_file: PlanFile, address: str, settings: dict, content: str | None = None) -> None:
    """Pull a dashboard edit of `settings` (and the caption) through the real writer."""
    plan = load_plan(plan_file.path)
    fields = [FieldChange(f"settings.{name}", None, value) for name, value in settings.items()]
    if content is not None:
        fields.append(FieldChange("content", None, content))
    drift = Drift(address, "settings", fields, live=None, owned=None)
    live = Record(at=T, content=content or "", settings=settings)
    text, _ = pull_mod.pull(plan_file.path, plan, [drift], {address: live})
    pull_mod.write(plan_file.path, text)


def _read_settings(plan_file: PlanFile, key: str, ref: str) -> dict:
    post = next(p for p in load_plan(plan_file.path).posts if p.key == key)
    return post.overrides[ref].settings


# -- the writer, every scalar -------------------------------------------------

@pytest.mark.parametrize("value", AWKWARD + OTHER, ids=repr)
def test_pulled_setting_reads_back_exactly(tmp_path, value):
    plan = PlanFile(tmp_path, posts=1, channels=("tiktok-main",))
    _pull(plan, "clip-01@tiktok-main", {"title": value})
    assert _typed(_read_settings(plan, "clip-01", "tiktok-main")["title"]) == _typed(value)
    # The next pull reads the file with ruamel (YAML 1.2): it must write it back as is.
    before = plan.path.read_bytes()
    _pull(plan, "clip-01@tiktok-main", {"title": value})
    assert plan.path.read_bytes() == before


@pytest.mark.parametrize("value, line", [
    ("SELF_ONLY", "title: SELF_ONLY"),  # a name: bare, as `plan` writes it
    ("yes", 'title: "yes"'),
    ("Off", 'title: "Off"'),
    ("12:30", 'title: "12:30"'),
    ("010", 'title: "010"'),
    ("2026-11-30", 'title: "2026-11-30"'),
    ("", 'title: ""'),
    ("...", 'title: "..."'),
    ("Mi video: parte 2", 'title: "Mi video: parte 2"'),
])
def test_pulled_strings_are_quoted_only_when_needed_and_double_quoted(tmp_path, value, line):
    plan = PlanFile(tmp_path, posts=1, channels=("tiktok-main",))
    _pull(plan, "clip-01@tiktok-main", {"title": value})
    text = plan.path.read_text("utf-8")
    assert line in text.splitlines()[-1], text
    assert "%YAML" not in text and "\n---" not in text


# -- line endings and byte order mark ----------------------------------------

ENCODINGS = {"lf": (b"", b"\n"), "crlf": (b"", b"\r\n"), "bom-lf": (codecs.BOM_UTF8, b"\n"),
             "bom-crlf": (codecs.BOM_UTF8, b"\r\n")}


def _as(plan: PlanFile, bom: bytes, eol: bytes) -> bytes:
    raw = bom + plan.path.read_bytes().replace(b"\n", eol)
    plan.path.write_bytes(raw)
    return raw


def _changed_lines(before: bytes, after: bytes, bom: bytes, eol: bytes) -> list[bytes]:
    assert after.startswith(bom) and not after[len(bom):].startswith(codecs.BOM_UTF8)
    a, b = before[len(bom):].split(eol), after[len(bom):].split(eol)
    for line in b:
        assert b"\r" not in line and b"\n" not in line, f"mixed line endings: {line!r}"
    return [line for line in difflib.diff_bytes(difflib.unified_diff, a, b, lineterm=b"", n=0)
            if line[:1] in (b"+", b"-") and not line.startswith((b"+++", b"---"))]


@pytest.mark.parametrize("kind", sorted(ENCODINGS))
def test_pull_keeps_line_endings_and_bom(tmp_path, kind):
    bom, eol = ENCODINGS[kind]
    plan = PlanFile(tmp_path, posts=2, channels=("x-main",))
    before = _as(plan, bom, eol)
    assert load_plan(plan.path).posts[1].caption == "Clip 2: bases de datos sin miedo #shorts"

    _pull(plan, "clip-02@x-main", {"who_can_reply_post": "following"}, content="Corregido ✅\nen dos líneas")
    after = plan.path.read_bytes()
    assert _changed_lines(before, after, bom, eol) == [
        b"-  caption: 'Clip 2: bases de datos sin miedo #shorts'",
        b'+  caption: "Corregido \xe2\x9c\x85\\nen dos l\xc3\xadneas"',
        b"+  overrides:",
        b"+    x-main:",
        b"+      settings:",
        b"+        who_can_reply_post: following",
    ]
    post = load_plan(plan.path).posts[1]
    assert post.caption == "Corregido ✅\nen dos líneas"
    assert post.overrides["x-main"].settings == {"who_can_reply_post": "following"}


def test_validate_reads_a_crlf_bom_plan_and_points_at_the_right_line(tmp_path):
    plan = PlanFile(tmp_path, posts=2, channels=("x-main",))
    raw = _as(plan, *ENCODINGS["bom-crlf"])
    assert run("validate", str(plan)).exit_code == 0
    plan.path.write_bytes(raw.replace(b"  channels:", b"  chanels:", 1))
    line = raw.split(b"\r\n").index(b"  channels:") + 1  # the BOM is no line of its own
    checked = run("validate", str(plan))
    assert checked.exit_code != 0
    assert f"ep12.yaml:{line}: posts[0].chanels: unknown field 'chanels'" in checked.output + checked.error


# -- end to end: the dashboard, pull, then the tool's own reader and diff ---------

def _edit(sandbox, plan: PlanFile, address: str, **change) -> None:
    post_id = plan.state()["posts"][address]["post_id"]
    sandbox.control("POST", f"posts/{post_id}/dashboard-edit", change)


def _other_value(identifier: str, name: str, value):
    """Another value Postiz accepts for a default setting."""
    if isinstance(value, bool):
        return not value
    rule = PROVIDERS[identifier].required_settings.get(name)
    if rule is not None and rule.allowed:
        return next(v for v in rule.allowed if v != value)
    return "12:30"  # free text (YouTube's title): 750 to a YAML 1.1 reader when bare


CHANNELS = {"tiktok-main": "tiktok", "youtube-shorts": "youtube", "instagram-reels": "instagram", "x-main": "x"}
EXTRA = {"youtube": {"selfDeclaredMadeForKids": "yes"}}  # optional, yes/no like TikTok's music


@pytest.mark.parametrize("ref", sorted(CHANNELS))
def test_every_pulled_default_setting_reads_back_and_diff_is_clean(sandbox_main, tmp_path, ref):
    identifier = CHANNELS[ref]
    plan = PlanFile(tmp_path, posts=1, channels=(ref,), name="defaults")
    assert run("apply", str(plan), "--auto-approve").exit_code == 0
    caption = plan.doc["posts"][0]["caption"]
    edits = {name: _other_value(identifier, name, value)
             for name, value in default_settings(identifier, caption).items()}
    edits.update(EXTRA.get(identifier, {}))
    _edit(sandbox_main, plan, f"clip-01@{ref}", settings=edits)

    pulled = run("pull", str(plan))
    assert pulled.exit_code == 0, pulled.output + pulled.error
    read = _read_settings(plan, "clip-01", ref)
    assert {k: _typed(v) for k, v in read.items()} == {k: _typed(v) for k, v in edits.items()}
    checked = run("validate", str(plan))
    assert checked.exit_code == 0, checked.output + checked.error
    after = run("diff", str(plan), "--detailed-exitcode")
    assert after.exit_code == 0, after.output + after.error
    assert "No changes. Postiz matches the plan." in after.output and "drift" not in after.output


def test_awkward_strings_pulled_from_the_dashboard_read_back_and_diff_is_clean(sandbox_main, tmp_path):
    plan = PlanFile(tmp_path, posts=len(ISSUE), channels=("tiktok-main",), name="awkward")
    assert run("apply", str(plan), "--auto-approve").exit_code == 0
    for n, value in enumerate(ISSUE, 1):
        _edit(sandbox_main, plan, f"clip-{n:02d}@tiktok-main", settings={"title": value})

    pulled = run("pull", str(plan))
    assert pulled.exit_code == 0, pulled.output + pulled.error
    read = {value: _read_settings(plan, f"clip-{n:02d}", "tiktok-main")["title"] for n, value in enumerate(ISSUE, 1)}
    assert {v: _typed(r) for v, r in read.items()} == {v: _typed(v) for v in ISSUE}
    after = run("diff", str(plan), "--detailed-exitcode")
    assert after.exit_code == 0, after.output + after.error
    assert "No changes. Postiz matches the plan." in after.output and "drift" not in after.output


def test_pull_of_a_crlf_bom_plan_changes_only_the_pulled_lines(sandbox_main, tmp_path):
    bom, eol = ENCODINGS["bom-crlf"]
    plan = PlanFile(tmp_path, posts=3, channels=("tiktok-main", "x-main"), name="windows")
    _as(plan, bom, eol)
    checked = run("validate", str(plan))
    assert checked.exit_code == 0, checked.output + checked.error
    assert run("apply", str(plan), "--auto-approve").exit_code == 0
    assert run("diff", str(plan), "--detailed-exitcode").exit_code == 0
    before = plan.path.read_bytes()
    _edit(sandbox_main, plan, "clip-02@x-main", content="Corregido a mano ✅ #sql")
    _edit(sandbox_main, plan, "clip-03@tiktok-main", settings={"autoAddMusic": "yes"})

    pulled = run("pull", str(plan))
    assert pulled.exit_code == 0, pulled.output + pulled.error
    after = plan.path.read_bytes()
    assert _changed_lines(before, after, bom, eol) == [
        b"+  overrides:",
        b"+    x-main:",
        b'+      caption: "Corregido a mano \xe2\x9c\x85 #sql"',
        b"+  overrides:",
        b"+    tiktok-main:",
        b"+      settings:",
        b'+        autoAddMusic: "yes"',
    ]
    assert run("validate", str(plan)).exit_code == 0
    after_diff = run("diff", str(plan), "--detailed-exitcode")
    assert after_diff.exit_code == 0, after_diff.output + after_diff.error
    assert "No changes. Postiz matches the plan." in after_diff.output and "drift" not in after_diff.output
