"""A reviewer must see every character of a caption: zero-width, bidirectional and
odd-space characters are written as escapes in plan files (by `plan` and by `pull`)
and shown as escapes by every text view, yet read back as the very same text."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import pytest
import yaml

from support.cli import run
from support.reconcile_helpers import Sandbox
from support.workspaces import make_workspace

FLAGS = ("--start", "2031-01-06 09:00", "--interval", "4h", "--channels", "x-main",
         "--timezone", "America/Mexico_City")

# One caption per class of hidden character, with the escape the plan file must show.
HIDDEN = {
    1: ("Mira\u200besto #zwsp", ["\\u200B"]),
    2: ("joi\u200cner\u200dok \u2060wj \ufeffbom", ["\\u200C", "\\u200D", "\\u2060", "\\uFEFF"]),
    3: ("RTL \u200f\u200e marks \u061c", ["\\u200F", "\\u200E", "\\u061C"]),
    4: ("evil \u202egnp.exe\u202c \u2066iso\u2069 \u2067r\u2069 \u2068f\u2069",
        ["\\u202E", "\\u202C", "\\u2066", "\\u2069", "\\u2067", "\\u2068"]),
    5: ("50\xa0% \u2009thin \u202fnarrow \u205fmath \u3000ideo \u2000en", ["\\xA0", "\\u2009", "\\u202F",
                                                                            "\\u205F", "\\u3000", "\\u2000"]),
    6: ("soft\xadhyphen mongol\u180evs", ["\\xAD", "\\u180E"]),
    7: ("Dos líneas\u200b\nsegunda\u2028sep\u2029para", ["\\u200B", "\\n", "\\L", "\\P"]),
    8: ("tags \U000e0041\U000e0042 hidden", ["\\U000E0041", "\\U000E0042"]),
}
# Kept as they are: they only draw emoji.
EMOJI = "Equipo 👩\u200d💻 y 🏴\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f #dev"


def _plan(tmp_path: Path, captions: dict[int, str]):
    make_workspace(tmp_path / "ws", clips=sorted(captions), captions=captions)
    return run("plan", "ws", *FLAGS, "-o", "plans/ep12.yaml", cwd=tmp_path)


def _captions(plan_file: Path) -> dict[int, str]:
    posts = yaml.safe_load(plan_file.read_text("utf-8"))["posts"]
    return {p["clip"]: p["caption"] for p in posts}


def test_plan_writes_hidden_characters_as_escapes_that_read_back_equal(tmp_path):
    captions = {clip: text for clip, (text, _) in HIDDEN.items()} | {9: EMOJI}
    made = _plan(tmp_path, captions)
    assert made.code == 0, made.err
    plan_file = tmp_path / "plans/ep12.yaml"
    text = plan_file.read_text("utf-8")
    # One line per caption, in post order, each showing its escapes.
    lines = dict(zip(_captions(plan_file), (ln for ln in text.splitlines() if ln.startswith("  caption: ")),
                     strict=True))
    for clip, (_, escapes) in HIDDEN.items():
        for escape in escapes:
            assert escape in lines[clip], (clip, lines[clip])
    # Not one hidden character is left raw in the file, but those that draw emoji.
    raw = [ch for ch in text.replace(EMOJI, "") if unicodedata.category(ch) in ("Cf", "Zl", "Zp")
           or (unicodedata.category(ch) == "Zs" and ch != " ")]
    assert raw == []
    assert EMOJI in text  # 👩‍💻 and the flag of Scotland stay pictures
    assert _captions(plan_file) == captions  # PyYAML (YAML 1.1) reads back every character
    checked = run("validate", "plans/ep12.yaml", cwd=tmp_path)
    assert checked.code == 0, checked.out + checked.err


def test_validate_messages_show_hidden_characters_escaped(tmp_path):
    assert _plan(tmp_path, {1: "hola #x"}).code == 0
    plan_file = tmp_path / "plans/ep12.yaml"
    # An override for a channel whose name has a zero-width space in it: looks like x-main, is not.
    plan_file.write_text(plan_file.read_text("utf-8").replace(
        "  channels: [x-main]\n", '  channels: [x-main]\n  overrides:\n    "x\\u200B-main": {caption: hola}\n'),
        encoding="utf-8")
    shown = run("validate", "plans/ep12.yaml", cwd=tmp_path)
    assert shown.code == 1
    assert "\u200b" not in shown.out + shown.err
    assert "'x\\u200b-main' is not in this post's channels" in shown.out + shown.err
    as_json = run("validate", "plans/ep12.yaml", "--json", cwd=tmp_path)
    assert "\u200b" not in as_json.out and "x\\u200b-main" in as_json.out
    assert "x\u200b-main" in json.dumps(json.loads(as_json.out), ensure_ascii=False)  # the same text


@pytest.fixture
def sandbox(tmp_path):
    from planner.sandbox.server import SandboxServer

    server = SandboxServer(tmp_path / "sandbox.db").start()
    yield Sandbox(server)
    server.stop()


def _env(tmp_path: Path, box: Sandbox) -> dict[str, str]:
    return {"POSTIZ_API_URL": box.api_url, "POSTIZ_API_KEY": box.api_key, "NO_COLOR": "1",
            "CLIPER_SCHED_CACHE_DIR": str(tmp_path / "cache")}


def test_diff_shows_a_caption_change_that_only_adds_a_zero_width_space(tmp_path, sandbox):
    env = _env(tmp_path, sandbox)
    assert _plan(tmp_path, {1: "Mira esto #sql", 2: "Otro clip #sql"}).code == 0
    applied = run("apply", "plans/ep12.yaml", "--auto-approve", cwd=tmp_path, env=env)
    assert applied.code == 0, applied.out + applied.err
    plan_file = tmp_path / "plans/ep12.yaml"
    # The reviewer's view of a change nobody could see in a rendered caption.
    plan_file.write_text(plan_file.read_text("utf-8").replace('"Mira esto #sql"', '"Mira\\u200B esto #sql"'),
                         encoding="utf-8")
    shown = run("diff", "plans/ep12.yaml", cwd=tmp_path, env=env)
    assert shown.code == 0, shown.err
    assert "\u200b" not in shown.out
    assert '"Mira esto #sql" → "Mira\\u200b esto #sql"' in shown.out
    as_json = run("diff", "plans/ep12.yaml", "--json", cwd=tmp_path, env=env)
    assert "\u200b" not in as_json.out and "Mira\\u200b esto" in as_json.out
    assert "Mira\u200b esto #sql" in json.dumps(json.loads(as_json.out), ensure_ascii=False)


def test_pull_writes_a_dashboard_edit_with_hidden_characters_as_escapes(tmp_path, sandbox):
    env = _env(tmp_path, sandbox)
    assert _plan(tmp_path, {1: "Mira esto #sql", 2: "Otro clip #sql"}).code == 0
    assert run("apply", "plans/ep12.yaml", "--auto-approve", cwd=tmp_path, env=env).code == 0
    state = json.loads((tmp_path / "plans/ep12.state.json").read_text("utf-8"))
    edited = {"clip-01@x-main": "Mira\u200b esto #sql", "clip-02@x-main": "Otro\xa0clip\u200b\nen dos líneas #sql"}
    for address, content in edited.items():
        post_id = state["posts"][address]["post_id"]
        sandbox.control("POST", f"posts/{post_id}/dashboard-edit", {"content": content})

    pulled = run("pull", "plans/ep12.yaml", cwd=tmp_path, env=env)
    assert pulled.code == 0, pulled.out + pulled.err
    raw = (tmp_path / "plans/ep12.yaml").read_bytes()
    assert "\u200b".encode() not in raw and "\xa0".encode() not in raw
    assert b'caption: "Mira\\u200B esto #sql"' in raw
    assert b'caption: "Otro\\xA0clip\\u200B\\nen dos l\xc3\xadneas #sql"' in raw  # one line, escaped
    assert raw.startswith(b"# yaml-language-server: $schema=.schema/plan.json\n")
    assert _captions(tmp_path / "plans/ep12.yaml") == {1: edited["clip-01@x-main"], 2: edited["clip-02@x-main"]}
    assert run("validate", "plans/ep12.yaml", cwd=tmp_path, env=env).code == 0
    after = run("diff", "plans/ep12.yaml", "--detailed-exitcode", cwd=tmp_path, env=env)
    assert after.code == 0, after.out + after.err  # read back equal: Postiz matches the plan


def test_the_escaped_set_is_every_hidden_category_of_this_unicode():
    """textsafe.HIDDEN is written out for speed; it must cover categories Cc, Cf, Zs
    (but the space), Zl and Zp of the Unicode tables Python ships."""
    from planner.textsafe import json_text, printable

    wanted = [chr(c) for c in range(0x110000)
              if unicodedata.category(chr(c)) in ("Cc", "Cf", "Zl", "Zp", "Zs") and c != 0x20
              and not 0xD800 <= c <= 0xDFFF]
    missed = [f"U+{ord(ch):04X}" for ch in wanted if printable(f"a{ch}b") == f"a{ch}b"]
    assert missed == [], f"add these to planner.textsafe.HIDDEN: {missed}"
    text = "".join(wanted)
    assert json.loads(json_text(text)) == text and json_text(text).isascii()
