"""{youtube_id}: the 11-character YouTube id ending a CLIPER video folder name; the README's table."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from planner.templates import TEMPLATE_NAMES
from support.workspaces import make_workspace

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")


def rules_file(tmp_path, template: str) -> Path:
    rules = tmp_path / "rules.yaml"
    rules.write_text("channels:\n  yt:\n    caption_template: " + repr(template).replace("'", '"') + "\n"
                     "    settings_templates: {title: '{title:20} ({youtube_id})'}\n", encoding="utf-8")
    return rules


@pytest.mark.parametrize("folder, expected", [
    ("Tech Tertulia Ep 12 - Bases de datos sin miedo_h7KqZ2mWx9E", "h7KqZ2mWx9E"),
    # CLIPER's fork D adds `_<8 hex>` when two videos had the same name: not part of the id.
    ("Tech Tertulia Ep 12 - Bases de datos sin miedo_h7KqZ2mWx9E_3fa1b2c4", "h7KqZ2mWx9E"),
    ("Ep 07_R2d-Lm8QwZs", "R2d-Lm8QwZs"),  # ids hold - and _
    ("Demo_AbC-12_xYz9", "AbC-12_xYz9"),
])
def test_youtube_id_renders_the_id_without_a_collision_suffix(tmp_path, cli, folder, expected):
    make_workspace(tmp_path / "ws", video_id=folder, clips=1)
    res = cli("plan", tmp_path / "ws", "--rules", rules_file(tmp_path, "{text} https://youtu.be/{youtube_id}"),
              "--interval", "4h")
    assert res.code == 0, res.err
    yt = yaml.safe_load(res.out)["posts"][0]["overrides"]["yt"]
    assert yt["caption"].endswith(f" https://youtu.be/{expected}")
    assert yt["settings"]["title"].endswith(f"({expected})")


def test_a_folder_without_an_id_is_an_error_where_the_template_uses_it(tmp_path, cli):
    make_workspace(tmp_path / "ws", video_id="charla local", clips=1)
    rules = rules_file(tmp_path, "{text} https://youtu.be/{youtube_id}")
    out = tmp_path / "plan.yaml"
    res = cli("plan", tmp_path / "ws", "--rules", rules, "--interval", "4h", "-o", out)
    assert res.code == 1 and not out.exists() and "Traceback" not in res.err
    said = "{youtube_id}: the video folder 'charla local' does not end in a YouTube id"
    assert f"{rules}:3: channels.yt.caption_template: {said}" in res.err
    assert f"{rules}:4: channels.yt.settings_templates.title: {said}" in res.err
    assert "use {video_id}" in res.err
    # Templates that do not use it are fine for such a folder.
    rules.write_text("channels:\n  yt: {caption_template: '{text} ({video_id})'}\n", encoding="utf-8")
    assert cli("plan", tmp_path / "ws", "--rules", rules, "--interval", "4h").code == 0


def test_caption_template_flag_with_youtube_id_for_uncaptioned_clips(tmp_path, cli):
    make_workspace(tmp_path / "ws", video_id="Ep 9_h7KqZ2mWx9E", clips=2, uncaptioned=[2])
    res = cli("plan", tmp_path / "ws", "--interval", "4h", "--channels", "a", "--include-uncaptioned",
              "--caption-template", "Clip {clip}: https://youtu.be/{youtube_id} #clips")
    assert res.code == 0, res.err
    assert yaml.safe_load(res.out)["posts"][1]["caption"] == "Clip 2: https://youtu.be/h7KqZ2mWx9E #clips"


def test_readme_lists_every_placeholder_and_only_those():
    table = README[README.index("| Placeholder | Renders |"):].split("\n\n")[0]
    listed = re.findall(r"^\| `\{([a-z_]+)\}` \|", table, re.M)
    assert listed == list(TEMPLATE_NAMES)
