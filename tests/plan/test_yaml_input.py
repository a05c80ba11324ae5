"""Hand-written YAML in plan and rules files: merge keys, and nesting no real file has."""

from __future__ import annotations

import pytest
import yaml

from planner.fsutil import sha256_file
from support.workspaces import make_workspace

PLAN = """version: 1
name: ep1
timezone: America/Mexico_City
source: {{workspace: ws}}
channels:
  tk: &tiktok
    provider: tiktok
    offset: 5m
  tk2:
    <<: *tiktok
    offset: 10m{extra_channel}
posts:
  - &first
    key: clip-01
    clip: 1
    media: {{path: "{media1}", sha256: "{sha1}"}}
    caption: "Hola mundo #clip"
    at: "2026-12-01T09:00:00-06:00"
    channels: [tk, tk2]
  - <<: *first
    key: clip-02
    clip: 2
    media: {{path: "{media2}", sha256: "{sha2}"}}
    at: "{at2}"
"""


@pytest.fixture
def merged_plan(tmp_path):
    ws = make_workspace(tmp_path / "ws", clips=2)

    def write(at2="2026-12-01T13:00:00-06:00", extra_channel=""):
        path = tmp_path / "p.yaml"
        media = {n: ws.clips[n].relative_to(ws.root).as_posix() for n in (1, 2)}
        path.write_text(PLAN.format(media1=media[1], sha1=sha256_file(ws.clips[1]), media2=media[2],
                                    sha2=sha256_file(ws.clips[2]), at2=at2, extra_channel=extra_channel),
                        encoding="utf-8")
        return path
    return write


def test_keys_overriding_merged_ones_are_allowed_in_a_plan(cli, merged_plan):
    res = cli("validate", merged_plan())
    assert res.code == 0, res.err
    assert "appears twice" not in res.err


def test_an_overriding_key_is_the_one_used_and_reported(cli, merged_plan):
    # The second post inherits clip-01's channels; its own `at` wins and is checked, and
    # channel tk2 posts at its own offset (10m), not the 5m of the channel it merges.
    res = cli("validate", merged_plan(at2="2020-01-01T09:00:00-06:00"))
    assert res.code == 1
    assert "p.yaml:24: posts[1].at: 2020-01-01T09:05:00-06:00 is in the past" in res.err, res.err
    assert "p.yaml:24: posts[1].at: 2020-01-01T09:10:00-06:00 is in the past" in res.err
    assert "posts[0].at" not in res.err


def test_a_real_duplicate_beside_a_merge_key_is_still_refused(cli, merged_plan):
    res = cli("validate", merged_plan(extra_channel="\n    offset: 15m"))
    assert res.code == 1
    assert "p.yaml:12: channels.tk2: 'offset' appears twice here; the second one would silently win" in res.err


RULES = """interval: 4h
start: "2026-12-01 09:00"
timezone: UTC
channels:
  yt: &youtube
    provider: youtube
    offset: 5m
    settings: {type: public}
  yt2:
    <<: *youtube
    offset: 10m
    settings: {type: unlisted}
  yt3:
    <<: [*youtube, {offset: 1m, settings: {type: private}}]
"""


def test_keys_overriding_merged_ones_are_allowed_in_a_rules_file(tmp_path, cli):
    make_workspace(tmp_path, clips=1)
    rules = tmp_path / "rules.yaml"
    rules.write_text(RULES, encoding="utf-8")
    res = cli("plan", tmp_path, "--rules", rules)
    assert res.code == 0, res.err
    assert yaml.safe_load(res.out)["channels"] == {
        "yt": {"provider": "youtube", "offset": "5m", "settings": {"type": "public"}},
        "yt2": {"provider": "youtube", "offset": "10m", "settings": {"type": "unlisted"}},
        "yt3": {"provider": "youtube", "offset": "5m", "settings": {"type": "public"}},  # first listed wins
    }


def test_a_real_duplicate_beside_a_merge_key_is_refused_in_a_rules_file(tmp_path, cli):
    make_workspace(tmp_path, clips=1)
    rules = tmp_path / "rules.yaml"
    rules.write_text(RULES.replace("    offset: 10m\n", "    offset: 10m\n    offset: 20m\n"), encoding="utf-8")
    res = cli("plan", tmp_path, "--rules", rules)
    assert res.code == 1 and res.out == ""
    assert "rules.yaml:12: channels.yt2: 'offset' appears twice here" in res.err.replace(str(tmp_path) + "/", "")


@pytest.mark.parametrize("body", [
    "[" * 100_000 + "]" * 100_000,                                # libyaml's composer overflowed the C stack
    "[" * 900 + "]" * 900,                                        # Python's recursion limit
    "\n" + "".join(" " * i + "a:\n" for i in range(1, 1200)),     # the same with indentation
], ids=["flow-100000", "flow-900", "indented-1200"])
@pytest.mark.parametrize("kind", ["plan", "rules"])
def test_absurdly_nested_yaml_is_a_clean_error(tmp_path, cli, body, kind):
    make_workspace(tmp_path, clips=1)
    path = tmp_path / f"{kind}.yaml"
    path.write_text(f"channels: {body}\n", encoding="utf-8")
    res = cli("validate", path) if kind == "plan" else cli("plan", tmp_path, "--rules", path)
    assert res.code == 1 and "Traceback" not in res.err, res.err[-2000:]
    assert f"{kind}.yaml: the YAML is nested too deeply to read" in res.err


def test_brackets_inside_captions_are_not_nesting(cli, merged_plan):
    path = merged_plan()
    path.write_text(path.read_text(encoding="utf-8").replace("Hola mundo #clip", "Hola :-[ " + "{[" * 300),
                    encoding="utf-8")
    res = cli("validate", path)
    assert res.code == 0, res.err
