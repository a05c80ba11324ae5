"""Editors validate plans as you type: `schema plan|rules|state` prints or writes each
JSON Schema, and every plan's first line points yaml-language-server at
`.schema/plan.json` beside it, which `plan -o` keeps there."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import yaml
from jsonschema import Draft202012Validator

from support.cli import argv, run
from support.reconcile_helpers import Sandbox
from support.workspaces import make_workspace

REPO = Path(__file__).resolve().parents[2]
MODELINE = "# yaml-language-server: $schema=.schema/plan.json\n"
FLAGS = ("--start", "2031-01-06 09:00", "--interval", "4h", "--channels", "tiktok-main,x-main",
         "--timezone", "America/Mexico_City")


def _plan(tmp_path: Path, *extra: str):
    """`plan ws ... -o plans/ep12.yaml`, run in `tmp_path` as a user would type it."""
    return run("plan", "ws", *FLAGS, *extra, cwd=tmp_path)


def test_schema_prints_each_shipped_schema_byte_for_byte():
    for name in ("plan", "rules", "state"):
        shown = run("schema", name)
        assert shown.code == 0, shown.err
        assert shown.out == (REPO / "schemas" / f"{name}.schema.json").read_text("utf-8")
        Draft202012Validator.check_schema(json.loads(shown.out))  # a real JSON Schema


def test_schema_o_writes_the_file_creating_its_folders_and_nothing_else(tmp_path):
    wrote = run("schema", "plan", "-o", "plans/.schema/plan.json", cwd=tmp_path)
    assert wrote.code == 0, wrote.err
    assert wrote.out == ""  # stdout stays free for pipes
    assert "Wrote plans/.schema/plan.json" in wrote.err
    assert (tmp_path / "plans/.schema/plan.json").read_text("utf-8") == run("schema", "plan").out
    assert os.listdir(tmp_path / "plans/.schema") == ["plan.json"]  # no temp file left behind


def test_schema_o_into_an_unwritable_place_says_so_without_a_traceback(tmp_path):
    (tmp_path / "plans").write_text("a file, not a folder")
    refused = run("schema", "plan", "-o", "plans/.schema/plan.json", cwd=tmp_path)
    assert refused.code == 1
    assert "plans/.schema/plan.json" in refused.err and "cannot write the plan schema" in refused.err
    assert "Traceback" not in refused.err


def test_unknown_schema_name_lists_the_names():
    wrong = run("schema", "plans")
    assert wrong.code == 1
    assert "'plans' is not one of 'plan', 'rules', 'state'" in wrong.err


def test_the_committed_editor_schema_is_the_one_shipped():
    # plans/.schema/plan.json is what editors of this repository check plans against.
    assert (REPO / "plans/.schema/plan.json").read_text("utf-8") == run("schema", "plan").out


def test_plan_o_starts_with_the_modeline_and_writes_the_schema_it_names(tmp_path):
    make_workspace(tmp_path / "ws", clips=3)
    made = _plan(tmp_path, "-o", "plans/ep12.yaml")
    assert made.code == 0, made.err
    text = (tmp_path / "plans/ep12.yaml").read_text("utf-8")
    assert text.startswith(MODELINE + "# cliper-sched plan ")
    assert "Wrote plans/.schema/plan.json" in made.err
    schema = tmp_path / "plans/.schema/plan.json"
    assert schema.read_text("utf-8") == run("schema", "plan").out
    # Planning again: same bytes, and the schema, already up to date, is not written again.
    again = _plan(tmp_path, "-o", "plans/ep12.yaml")
    assert again.code == 0, again.err
    assert (tmp_path / "plans/ep12.yaml").read_text("utf-8") == text
    assert ".schema" not in again.err


def test_plan_o_refreshes_an_out_of_date_schema(tmp_path):
    make_workspace(tmp_path / "ws", clips=1)
    stale = tmp_path / "plans/.schema/plan.json"
    stale.parent.mkdir(parents=True)
    stale.write_text('{"description": "from an older cliper-sched"}\n', encoding="utf-8")
    made = _plan(tmp_path, "-o", "plans/ep12.yaml")
    assert made.code == 0, made.err
    assert stale.read_text("utf-8") == run("schema", "plan").out
    assert "Wrote plans/.schema/plan.json" in made.err


def test_a_generated_plan_is_valid_against_the_schema_file_editors_use(tmp_path):
    """What an editor does with the modeline: read the YAML, validate it against the
    schema file the modeline names, relative to the plan's folder."""
    captions = {1: "Comillas \"dobles\" y 'simples' #yes", 2: "Dos líneas\nsegunda 🚀", 3: "yes"}
    make_workspace(tmp_path / "ws", clips=3, captions=captions)
    assert run("schema", "plan", "-o", "plans/.schema/plan.json", cwd=tmp_path).code == 0
    rules = tmp_path / "rules.yaml"
    rules.write_text("channels:\n  x-main:\n    provider: x\n    offset: 15m\n"
                     "  tiktok-main:\n    caption_template: '{caption} #tiktok'\n", encoding="utf-8")
    made = _plan(tmp_path, "--rules", "rules.yaml", "-o", "plans/ep12.yaml")
    assert made.code == 0, made.err
    plan_file = tmp_path / "plans/ep12.yaml"
    first = plan_file.read_text("utf-8").splitlines()[0]
    schema_path = plan_file.parent / first.split("$schema=", 1)[1]
    validator = Draft202012Validator(json.loads(schema_path.read_text("utf-8")))
    document = yaml.safe_load(plan_file.read_text("utf-8"))
    assert document["channels"] and document["posts"][0]["overrides"]  # the optional parts too
    assert list(validator.iter_errors(document)) == []
    # And the schema catches what an editor should underline.
    document["posts"][0]["chanels"] = document["posts"][0].pop("channels")
    assert [e.validator for e in validator.iter_errors(document)] != []


def test_plan_to_a_redirected_stdout_carries_the_modeline_and_says_how_to_get_the_schema(tmp_path):
    make_workspace(tmp_path / "ws", clips=1)
    (tmp_path / "plans").mkdir()

    def redirected():
        with open(tmp_path / "plans/ep12.yaml", "w") as out:  # `plan ... > plans/ep12.yaml`
            return subprocess.run(argv("plan", "ws", *FLAGS), cwd=tmp_path, stdout=out,
                                  stderr=subprocess.PIPE, text=True, timeout=120)

    first = redirected()
    assert first.returncode == 0, first.stderr
    assert (tmp_path / "plans/ep12.yaml").read_text("utf-8").startswith(MODELINE)
    assert not (tmp_path / "plans/.schema").exists()  # stdout is all `plan >` writes
    assert "plans/.schema/plan.json is missing" in first.stderr
    assert "cliper-sched schema plan -o plans/.schema/plan.json" in first.stderr
    assert run("schema", "plan", "-o", "plans/.schema/plan.json", cwd=tmp_path).code == 0
    second = redirected()
    assert second.returncode == 0 and ".schema" not in second.stderr


def test_apply_adds_an_id_and_pull_writes_back_into_a_plan_with_the_modeline(tmp_path, monkeypatch):
    """The two commands that edit plan files in place keep the modeline first."""
    from planner.sandbox.server import SandboxServer

    make_workspace(tmp_path / "ws", clips=2)
    assert _plan(tmp_path, "--channels", "x-main", "-o", "plans/ep12.yaml").code == 0
    plan_file = tmp_path / "plans/ep12.yaml"
    # A plan from before ids existed: the first apply writes one in.
    plan_file.write_text("".join(line for line in plan_file.read_text("utf-8").splitlines(keepends=True)
                                 if not line.startswith("id:")), encoding="utf-8")
    server = SandboxServer(tmp_path / "sandbox.db").start()
    try:
        box = Sandbox(server)
        env = {"POSTIZ_API_URL": box.api_url, "POSTIZ_API_KEY": box.api_key, "NO_COLOR": "1",
               "CLIPER_SCHED_CACHE_DIR": str(tmp_path / "cache")}
        applied = run("apply", "plans/ep12.yaml", "--auto-approve", cwd=tmp_path, env=env)
        assert applied.code == 0, applied.out + applied.err
        text = plan_file.read_text("utf-8")
        assert text.startswith(MODELINE) and "\nid: " in text
        post_id = json.loads((tmp_path / "plans/ep12.state.json").read_text())["posts"]["clip-01@x-main"]["post_id"]
        box.control("POST", f"posts/{post_id}/dashboard-edit", {"content": "Corregido a mano #sql"})
        pulled = run("pull", "plans/ep12.yaml", cwd=tmp_path, env=env)
        assert pulled.code == 0, pulled.out + pulled.err
        text = plan_file.read_text("utf-8")
        assert text.startswith(MODELINE) and 'caption: "Corregido a mano #sql"' in text
        assert run("diff", "plans/ep12.yaml", "--detailed-exitcode", cwd=tmp_path, env=env).code == 0
    finally:
        server.stop()
