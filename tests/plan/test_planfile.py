"""The plan file: deterministic output, round trips, workspace lookup, hand edits."""

from __future__ import annotations

import os
import re
from datetime import datetime, timedelta

import pytest
import yaml

from planner.errors import UserError
from planner.planfile import dump_plan, load_plan
from support.cli import argv as cliper_sched
from support.workspaces import make_workspace

FLAGS = ("--start", "2026-12-01 09:00", "--interval", "4h", "--channels", "tiktok-main,youtube-shorts",
         "--timezone", "America/Mexico_City")
TRICKY = {
    1: 'Comillas "dobles" y \'simples\': ¿funciona? #yes no',
    2: "Dos líneas\nsegunda línea 🚀 y una barra \\U0001F600 literal #Clip2",
    3: "- empieza como lista & tiene ampersand: 100% #Clip3 🇲🇽",
    4: "yes",
}


def test_same_inputs_same_bytes_and_stdout_is_only_the_plan(tmp_path, cli):
    make_workspace(tmp_path, clips=4, uncaptioned=[4])
    first = cli("plan", tmp_path, *FLAGS)
    second = cli("plan", tmp_path, *FLAGS)
    assert first.code == second.code == 0
    assert first.out == second.out
    assert "clip 4" in first.err and "clip 4" not in first.out
    doc = yaml.safe_load(first.out)
    assert list(doc) == ["version", "id", "name", "timezone", "cadence", "source", "posts", "generated"]
    assert first.out.startswith("# yaml-language-server: $schema=.schema/plan.json\n# cliper-sched plan")
    assert "cliper-sched apply" in first.out.split("version: 1")[0]


def test_each_plan_gets_its_own_id_and_planning_again_over_a_plan_keeps_it(tmp_path, cli):
    """The id names the plan in Postiz's markers: plans that differ never share one, and
    `plan -o FILE` over an existing plan is the same plan (its posts stay its own)."""
    make_workspace(tmp_path / "ws", clips=3)
    ids = set()
    for extra in ([], ["--channels", "x-main"], ["--start", "2031-02-01 10:00"]):
        res = cli("plan", tmp_path / "ws", *FLAGS, *extra)
        assert res.code == 0, res.err
        ids.add(yaml.safe_load(res.out)["id"])
    assert len(ids) == 3 and all(re.fullmatch(r"p[0-9a-f]{15}", i) for i in ids)
    out = tmp_path / "plans" / "ep12.yaml"
    assert cli("plan", tmp_path / "ws", *FLAGS, "-o", out).code == 0
    first = yaml.safe_load(out.read_text())["id"]
    again = cli("plan", tmp_path / "ws", *FLAGS, "--start", "2031-02-01 10:00", "-o", out)
    assert again.code == 0 and f"its id {first} is kept" in again.err
    assert yaml.safe_load(out.read_text())["id"] == first


def test_output_file_is_the_same_plan_and_workspace_is_relative_to_it(tmp_path, cli, monkeypatch):
    ws_root = tmp_path / "work" / "cliper"
    make_workspace(ws_root, clips=2)
    out = tmp_path / "repo" / "plans" / "ep12.yaml"
    res = cli("plan", ws_root, *FLAGS, "-o", out, "--name", "ep12")
    assert res.code == 0 and res.out == ""
    doc = yaml.safe_load(out.read_text(encoding="utf-8"))
    assert doc["source"]["workspace"] == "../../work/cliper"
    assert doc["name"] == "ep12"
    monkeypatch.chdir(tmp_path / "work")  # anywhere: the plan folder wins
    plan = load_plan(out)
    assert plan.media_file(plan.posts[0]).is_file()


def test_stdout_plan_workspace_is_relative_to_the_current_folder(tmp_path, cli, monkeypatch):
    make_workspace(tmp_path / "cliper", clips=2)
    monkeypatch.chdir(tmp_path)
    res = cli("plan", "cliper", *FLAGS)
    assert yaml.safe_load(res.out)["source"]["workspace"] == "cliper"
    (tmp_path / "plans").mkdir()
    (tmp_path / "plans" / "p.yaml").write_text(res.out, encoding="utf-8")
    plan = load_plan(tmp_path / "plans" / "p.yaml")  # not beside the plan: found from the cwd
    assert plan.media_file(plan.posts[1]).is_file()
    elsewhere = tmp_path / "copy"
    make_workspace(elsewhere, clips=2)
    assert load_plan("plans/p.yaml", workspace=elsewhere).workspace == elsewhere
    monkeypatch.setenv("CLIPER_WORKSPACE", str(elsewhere))
    assert load_plan("plans/p.yaml").workspace == elsewhere


def _header(text: str) -> str:
    return text.split("\nversion: 1")[0]


def test_header_has_no_machine_paths_and_names_the_real_plan_file(tmp_path, cli, monkeypatch):
    home = tmp_path / "home" / "me"
    make_workspace(home / "cliper", clips=2)
    rules = home / "rules.yaml"
    rules.write_text("timezone: UTC\nslots: {daily: ['09:00']}\nchannels: {a: {}}\n", encoding="utf-8")
    repo = tmp_path / "repo"
    (repo / "plans").mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(repo)
    res = cli("plan", home / "cliper", "--rules", rules, "-o", repo / "plans" / "ep12.yaml")
    assert res.code == 0, res.err
    header = _header((repo / "plans" / "ep12.yaml").read_text(encoding="utf-8"))
    assert str(tmp_path) not in header
    assert "made by: cliper-sched plan ~/cliper --rules ~/rules.yaml -o plans/ep12.yaml" in header
    assert "cliper-sched apply plans/ep12.yaml" in header and "PLAN.yaml" not in header


def test_header_paths_far_from_the_current_folder_are_relative_to_the_plan(tmp_path, cli, monkeypatch):
    make_workspace(tmp_path / "repo" / "ws", clips=1)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.chdir("/usr")  # nothing in common with the paths but the root
    out = tmp_path / "repo" / "plans" / "ep12.yaml"
    res = cli("plan", tmp_path / "repo" / "ws", *FLAGS, "-o", out)
    assert res.code == 0, res.err
    header = _header(out.read_text(encoding="utf-8"))
    assert str(tmp_path).lstrip("/") not in header
    assert "made by (run in this file's folder): cliper-sched plan ../ws " in header and "-o ep12.yaml" in header
    assert "then (in this folder):\n#   cliper-sched validate ep12.yaml" in header


def test_header_names_the_file_stdout_is_redirected_to(tmp_path):
    import subprocess
    make_workspace(tmp_path / "ws", clips=1)
    (tmp_path / "plans").mkdir()
    with open(tmp_path / "plans" / "ep12.yaml", "w") as out:
        subprocess.run([*cliper_sched(), "plan", "ws", *FLAGS, "--now", "2026-11-26T00:00:00Z"],
                       cwd=tmp_path, stdout=out, stderr=subprocess.PIPE, check=True)
    text = (tmp_path / "plans" / "ep12.yaml").read_text(encoding="utf-8")
    assert "cliper-sched validate plans/ep12.yaml" in _header(text)
    # Relative to the plan's own folder, like -o: found wherever apply runs.
    assert yaml.safe_load(text)["source"]["workspace"] == "../ws"
    plan = load_plan(tmp_path / "plans" / "ep12.yaml")
    assert plan.media_file(plan.posts[0]).is_file()


def test_awkward_captions_round_trip_verbatim(tmp_path, cli):
    make_workspace(tmp_path, clips=4, captions=TRICKY)
    res = cli("plan", tmp_path, *FLAGS)
    assert res.code == 0, res.err
    assert "🚀" in res.out and "🇲🇽" in res.out and "¿" in res.out
    plan_file = tmp_path / "p.yaml"
    plan_file.write_text(res.out, encoding="utf-8")
    plan = load_plan(plan_file)
    assert [p.caption for p in plan.posts] == [TRICKY[i] for i in (1, 2, 3, 4)]


def test_targets_apply_offsets_and_overrides(tmp_path):
    make_workspace(tmp_path, clips=1)
    path = tmp_path / "p.yaml"
    path.write_text("""version: 1
name: t
timezone: Europe/Madrid
channels:
  yt: {provider: youtube, offset: 15m, settings: {type: public, title: Base}}
posts:
  - key: clip-01
    caption: "Hola #a"
    at: "2026-12-01T09:00:00+01:00"
    channels: [tk, yt]
    overrides:
      yt: {caption: "Hola YT", settings: {title: "Título"}}
      tk: {at: "2026-12-01T10:00:00"}
""", encoding="utf-8")
    plan = load_plan(path)
    got = {t.channel_ref: t for t in plan.targets()}
    assert got["tk"].at == datetime.fromisoformat("2026-12-01T10:00:00+01:00")
    assert got["tk"].caption == "Hola #a" and got["tk"].settings == {}
    assert got["yt"].at - plan.posts[0].at == timedelta(minutes=15)
    assert got["yt"].caption == "Hola YT"
    assert got["yt"].settings == {"type": "public", "title": "Título"}
    assert got["yt"].address == "clip-01@yt"
    assert plan.posts[0].line == 7 and plan.posts[0].media is None


GOOD = """version: 1
name: ep12
timezone: America/Mexico_City
posts:
  - key: clip-01
    caption: "Hola #a"
    at: "2026-12-01T09:00:00-06:00"
    channels: [tiktok-main]
"""


@pytest.mark.parametrize("edit, expected", [
    (("channels: [tiktok-main]", "chanels: [tiktok-main]"),
     ["p.yaml:8: posts[0].chanels: unknown field 'chanels' (did you mean 'channels'?)",
      "p.yaml:5: posts[0]: missing field 'channels'"]),
    (('at: "2026-12-01T09:00:00-06:00"', 'at: "mañana a las 9"'),
     ['p.yaml:7: posts[0].at: must be a date and time like "2026-12-01T09:00:00-06:00"']),
    (('at: "2026-12-01T09:00:00-06:00"', 'at: "2026-13-01T09:00:00-06:00"'),
     ["p.yaml:7: posts[0].at: '2026-13-01T09:00:00-06:00' is not a valid date and time"]),
    (("timezone: America/Mexico_City", "timezone: Mexico"),
     ["p.yaml:3: timezone: unknown time zone 'Mexico'"]),
    (("version: 1", "version: 2"), ["p.yaml:1: version: must be 1"]),
    (("    channels: [tiktok-main]", "    channels: [tiktok-main]\n  - key: clip-01\n    caption: x\n"
      "    at: \"2026-12-01T10:00:00-06:00\"\n    channels: [x-main]"),
     ["p.yaml:9: posts[1].key: duplicate key 'clip-01' (also posts[0])"]),
    (("name: ep12", "name: ep12\nname: ep13"), ["p.yaml:3: 'name' appears twice"]),
    (('caption: "Hola #a"', "caption: !!python/object:os.system ls"), ["p.yaml:6: posts[0].caption: unsupported YAML tag"]),
    (('caption: "Hola #a"', 'caption: "Hola #a'), ["p.yaml:", "YAML syntax error"]),
    (('    caption: "Hola #a"', '\tcaption: "Hola #a"'), ["YAML syntax error", "tabs"]),
    (("channels: [tiktok-main]", "channels: []"), ["p.yaml:8: posts[0].channels: must not be empty"]),
])
def test_hand_edited_mistakes_are_explained_with_lines(tmp_path, edit, expected):
    path = tmp_path / "p.yaml"
    old, new = edit
    assert old in GOOD
    path.write_text(GOOD.replace(old, new), encoding="utf-8")
    with pytest.raises(UserError) as exc:
        load_plan(path)
    text = exc.value.render().replace(str(tmp_path) + os.sep, "")
    for fragment in expected:
        assert fragment in text, text


@pytest.mark.parametrize("media, words", [("/home/ana/clip.mp4", "absolute path"),
                                          ("../../secret/clip.mp4", "leaves the workspace")])
def test_media_path_must_stay_in_the_workspace(tmp_path, media, words):
    path = tmp_path / "p.yaml"
    path.write_text(GOOD.replace('    caption: "Hola #a"',
                                 f'    media: {{path: {media}, sha256: "{"0" * 64}"}}\n    caption: "Hola #a"'),
                    encoding="utf-8")
    with pytest.raises(UserError, match=words):
        load_plan(path)


def test_dump_plan_orders_top_level_and_never_escapes_unicode():
    text = dump_plan({"posts": [], "name": "ep1", "version": 1, "timezone": "UTC", "x-extra": "ñ 😀"}, "head\nline 2")
    assert text.splitlines()[:4] == ["# head", "# line 2", "version: 1", "name: ep1"]
    assert '"ñ 😀"' in text


@pytest.mark.parametrize("text, expected", [
    ("version: 1\nname: !!python/object/apply:os.system [\"echo pwned\"]\ntimezone: UTC\nposts: []\n",
     "empty.yaml:2: name: unsupported YAML tag"),
    ("version: 1\nname: n\ntimezone: UTC\na0: &a0 [x, x, x, x, x, x, x, x, x]\n"
     # 9**6 values from 7 short lines: big enough to trip the limit, small enough not to hang if it breaks.
     + "".join(f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]\n" for i in range(1, 6)) + "posts: *a5\n",
     "empty.yaml: too many YAML aliases"),
])
def test_hostile_yaml_is_refused_without_running_or_expanding_it(tmp_path, cli, text, expected):
    path = tmp_path / "empty.yaml"
    path.write_text(text, encoding="utf-8")
    res = cli("validate", path)
    assert res.code == 1 and expected in res.err.replace(str(tmp_path) + "/", "")
    assert not list(tmp_path.glob("pwned*"))


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="needs Linux /proc: a folder no one can create files in")
def test_unwritable_output_names_the_file_asked_for(tmp_path, cli):
    make_workspace(tmp_path, clips=1)
    res = cli("plan", tmp_path, *FLAGS, "-o", "/proc/self/ep12.yaml")
    assert res.code == 1 and "Traceback" not in res.err
    assert "/proc/self/ep12.yaml: cannot write the plan" in res.err and ".tmp" not in res.err
