"""Rules files: both ways of giving cadence, flags overriding the file, templates, errors."""

from __future__ import annotations

import subprocess

import pytest
import yaml

from support import cli as cli_process
from support.workspaces import make_workspace

NOW = "2026-11-26T00:00:00+00:00"

RULES = """timezone: Europe/Madrid
start: "2026-12-01 09:00"
interval: 1d
order: cliper
channels:
  tiktok-main: {provider: tiktok}
  youtube-shorts:
    provider: youtube
    offset: 15m
    settings: {type: unlisted}
    settings_templates: {title: "{title:40} | {name}"}
  linkedin-page:
    caption_template: "{text} ({hashtags})"
"""


def plan(cli, ws_root, *args):
    res = cli("plan", ws_root, *args)
    assert res.code == 0, res.err
    return yaml.safe_load(res.out)


def test_rules_file_and_flags_give_the_same_cadence(tmp_path, cli):
    make_workspace(tmp_path, clips=3)
    rules = tmp_path / "rules.yaml"
    rules.write_text('timezone: America/Mexico_City\nstart: "2026-12-01 09:00"\ninterval: 4h\n'
                     'channels: {tiktok-main: {}, youtube-shorts: {}}\n', encoding="utf-8")
    from_file = plan(cli, tmp_path, "--rules", rules, "--name", "ep")
    from_flags = plan(cli, tmp_path, "--start", "2026-12-01 09:00", "--interval", "4h", "--timezone",
                      "America/Mexico_City", "--channels", "tiktok-main,youtube-shorts", "--name", "ep")
    assert from_file == from_flags


def test_channel_config_and_templates(tmp_path, cli):
    ws = make_workspace(tmp_path, clips=2)
    rules = tmp_path / "rules.yaml"
    rules.write_text(RULES, encoding="utf-8")
    doc = plan(cli, tmp_path, "--rules", rules, "--name", "ep1")
    assert doc["timezone"] == "Europe/Madrid"
    assert doc["channels"] == {"tiktok-main": {"provider": "tiktok"},
                               "youtube-shorts": {"provider": "youtube", "offset": "15m",
                                                  "settings": {"type": "unlisted"}}}
    post = doc["posts"][0]
    assert post["channels"] == ["tiktok-main", "youtube-shorts", "linkedin-page"]
    title = post["overrides"]["youtube-shorts"]["settings"]["title"]
    assert title.endswith(" | ep1") and len(title) <= 40 + len(" | ep1")
    assert title.startswith("Clip 1: lo que nadie te cuenta")
    assert ws.captions[1] == post["caption"]
    text, _, tags = ws.captions[1].partition(" #")
    assert post["overrides"]["linkedin-page"]["caption"] == f"{text} (#{tags})"


def test_flags_override_the_file(tmp_path, cli):
    make_workspace(tmp_path, clips=2)
    rules = tmp_path / "rules.yaml"
    rules.write_text(RULES, encoding="utf-8")
    doc = plan(cli, tmp_path, "--rules", rules, "--interval", "2h", "--timezone", "UTC",
               "--channels", "youtube-shorts")
    assert [p["at"] for p in doc["posts"]] == ["2026-12-01T09:00:00+00:00", "2026-12-01T11:00:00+00:00"]
    assert doc["posts"][0]["channels"] == ["youtube-shorts"]
    assert list(doc["channels"]) == ["youtube-shorts"]  # the file's config of that channel still applies


@pytest.mark.parametrize("text, expected", [
    ("timezone: UTC\nchanels: {a: {}}\ninterval: 4h\n", "rules.yaml:2: chanels: unknown field 'chanels' (did you mean 'channels'?)"),
    ('slots:\n  mon: ["9am"]\nchannels: {a: {}}\n', "rules.yaml:2: slots.mon[0]: must be a time of day 'HH:MM'"),
    ('slots:\n  monday: ["09:00"]\nchannels: {a: {}}\n', "unknown field 'monday' (did you mean 'mon'?)"),
    ("timezone: Europe/Madird\ninterval: 4h\nchannels: {a: {}}\n", "rules.yaml:1: timezone: unknown time zone 'Europe/Madird'"),
    ("interval: 4h\norder: viral\nchannels: {a: {}}\n", "rules.yaml:2: order: 'viral' is not allowed (did you mean 'viral_potential'?)"),
    ("interval: 4h\nchannels:\n  a: {caption_template: '{titel}'}\n", "unknown placeholder {titel}"),
    ("interval: 4h\nblackout: [2026-12-24]\nmax_per_day: 0\nchannels: {a: {}}\n", "max_per_day: must be at least 1"),
    ("interval: 4h\nblackout: ['2026-12-26..2026-12-24']\nchannels: {a: {}}\n", "the range ends before it starts"),
    ("- just a list\n", "must be a set of fields"),
    ("interval: 4h\nchannels:\n  x-main: {provider: x, settings: {who_can_reply_post: nobody}}\n",
     "rules.yaml:3: channels.x-main.settings.who_can_reply_post: 'nobody' is not allowed; use one of everyone"),
    ("interval: 4h\nchannels:\n  tk:\n    provider: tiktok\n    settings:\n      autoAddMusic: no\n",
     "rules.yaml:6: channels.tk.settings.autoAddMusic: 'false' is not allowed; use one of yes, no (YAML reads"),
])
def test_rules_mistakes_are_explained(tmp_path, cli, text, expected):
    make_workspace(tmp_path, clips=1)
    rules = tmp_path / "rules.yaml"
    rules.write_text(text, encoding="utf-8")
    res = cli("plan", tmp_path, "--rules", rules)
    assert res.code == 1 and res.out == "" and "Traceback" not in res.err
    assert expected in res.err.replace(str(tmp_path) + "/", ""), res.err


def test_no_channels_anywhere(tmp_path, cli):
    make_workspace(tmp_path, clips=1)
    res = cli("plan", tmp_path, "--interval", "4h")
    assert res.code == 1 and "no channels" in res.err


def test_bundled_example_plans_and_validates(repo_root, tmp_path, cli):
    """The quick start's example workspace + rules give a clean plan for the sandbox channels."""
    out = tmp_path / "plans" / "example.yaml"
    res = cli("plan", repo_root / "examples" / "cliper-workspace", "--rules", repo_root / "examples" / "rules.yaml",
              "-o", out)
    assert res.code == 0, res.err
    doc = yaml.safe_load(out.read_text(encoding="utf-8"))
    assert doc["posts"][0]["channels"] == ["tiktok-main", "youtube-shorts", "instagram-reels", "x-main", "linkedin-page"]
    assert [p["clip"] for p in doc["posts"]] == [3, 1, 5, 2, 4]  # best viral_potential first
    assert not any(p["at"][:10] in ("2026-12-24", "2026-12-25", "2026-12-26") for p in doc["posts"])
    # The workspace lies outside tmp_path: named by the user, as a plan alone may not.
    res = cli("validate", out, "--workspace", repo_root / "examples" / "cliper-workspace")
    assert res.code == 0, res.err
    assert "warning" not in res.err.lower()


def test_interval_and_slots_together_is_ambiguous(tmp_path, cli):
    make_workspace(tmp_path, clips=1)
    rules = tmp_path / "rules.yaml"
    rules.write_text('interval: 4h\nslots:\n  mon: ["09:00"]\nchannels: {a: {}}\n', encoding="utf-8")
    res = cli("plan", tmp_path, "--rules", rules)
    assert res.code == 1 and "rules.yaml:1: interval: give either `interval` or `slots`, not both" in res.err
    # An --interval flag simply replaces the file's weekly slots.
    rules.write_text('slots:\n  mon: ["09:00"]\nchannels: {a: {}}\n', encoding="utf-8")
    res = cli("plan", tmp_path, "--rules", rules, "--interval", "4h", "--start", "2026-12-01 09:00")
    assert res.code == 0 and '"2026-12-01T13:00:00+00:00"' not in res.out  # only one clip


# The old title cutter looped for ever on a width below 1 and took hours on a long
# caption: each case runs in its own process, and a hang fails instead of blocking.
NO_HANG = 60  # seconds; a fixed cutter needs well under one


def plan_in_time(*args):
    try:
        return cli_process.run("plan", *args, "--now", NOW, timeout=NO_HANG)
    except subprocess.TimeoutExpired:
        pytest.fail(f"plan hung for {NO_HANG} s")


@pytest.mark.parametrize("text, where", [
    ("interval: 4h\nchannels:\n  a: {settings_templates: {title: '{title:0}'}}\n",
     "rules.yaml:3: channels.a.settings_templates.title: {title:0}"),
    ("interval: 4h\nchannels:\n  a: {caption_template: '{caption:-1} #shorts'}\n",
     "rules.yaml:3: channels.a.caption_template: {caption:-1}"),
    ("interval: 4h\ninclude_uncaptioned: true\ncaption_template: 'Clip {clip} {video_title:00}'\nchannels: {a: {}}\n",
     "rules.yaml:3: caption_template: {video_title:00}"),
], ids=["settings-template-0", "caption-template-negative", "uncaptioned-caption-template-00"])
def test_a_width_below_1_in_a_rules_file_is_refused(tmp_path, text, where):
    make_workspace(tmp_path, clips=2, uncaptioned=[2])
    rules = tmp_path / "rules.yaml"
    rules.write_text(text, encoding="utf-8")
    res = plan_in_time(tmp_path, "--rules", rules)
    assert res.code == 1 and res.out == "" and "Traceback" not in res.err
    err = res.err.replace(str(tmp_path) + "/", "")
    assert f"{where}: the width must be a whole number of characters, at least 1" in err, err
    assert "cuts " in err and "keeps it whole" in err  # the hint


@pytest.mark.parametrize("width", ["0", "-3"])
def test_a_width_below_1_in_the_caption_template_flag_is_refused(tmp_path, width):
    make_workspace(tmp_path, clips=2, uncaptioned=[2])
    res = plan_in_time(tmp_path, "--interval", "4h", "--channels", "a", "--include-uncaptioned",
                       "--caption-template", f"Clip {{clip}}: {{title:{width}}}")
    assert res.code == 1 and res.out == "" and "Traceback" not in res.err
    assert f"--caption-template: {{title:{width}}}: the width must be a whole number" in res.err, res.err
    assert "hint: {title:80} cuts title at a word to 80 characters" in res.err


def test_a_one_megabyte_caption_is_cut_to_a_title_quickly(tmp_path):
    caption = "palabra " * (1 << 17) + "#fin"  # 1 MiB
    make_workspace(tmp_path, clips=1, captions={1: caption})
    rules = tmp_path / "rules.yaml"
    rules.write_text("interval: 4h\nchannels:\n  yt: {provider: youtube, settings_templates: "
                     "{title: '{title:80} | ep'}, caption_template: '{text:500}'}\n", encoding="utf-8")
    res = plan_in_time(tmp_path, "--rules", rules)
    assert res.code == 0, res.err
    override = yaml.safe_load(res.out)["posts"][0]["overrides"]["yt"]
    assert override["settings"]["title"] == ("palabra " * 9).strip() + "… | ep"
    assert len(override["caption"]) <= 500 and override["caption"].endswith("palabra…")


@pytest.mark.parametrize("template, field", [
    ("{clip.__class__}", "{clip.__class__}"),
    ("{clip.__init__.__globals__}", "{clip.__init__.__globals__}"),
    ("Clip {clip[0]}", "{clip[0]}"),
    ("{foo} de {video_title}", "{foo}"),
    ("{title:>10}", None),
    ("{}", "{}"),
])
@pytest.mark.parametrize("where", ["channels.a.caption_template", "channels.a.settings_templates.title",
                                   "--caption-template"])
def test_unknown_placeholders_are_refused_never_posted_or_evaluated(tmp_path, template, field, where):
    make_workspace(tmp_path, clips=2, uncaptioned=[2])
    if where == "--caption-template":
        args = ["--interval", "4h", "--channels", "a", "--include-uncaptioned", "--caption-template", template]
    else:
        rules = tmp_path / "rules.yaml"
        setting = f"caption_template: '{template}'" if "caption" in where else f"settings_templates: {{title: '{template}'}}"
        rules.write_text(f"interval: 4h\nchannels:\n  a: {{{setting}}}\n", encoding="utf-8")
        args = ["--rules", rules]
    res = plan_in_time(tmp_path, *args)
    assert res.code == 1 and res.out == "" and "Traceback" not in res.err
    err = res.err.replace(str(tmp_path) + "/", "")
    assert (f"rules.yaml:3: {where}: " if where != "--caption-template" else "--caption-template: ") in err, err
    if field is None:  # a known name with a format spec instead of a width
        assert "{title:>10}: the width must be a whole number of characters" in err
    else:
        assert f"unknown placeholder {field}; use one of {{caption}}, {{text}}, {{hashtags}}, {{title}}" in err
        assert "attribute and index access ({clip.x}, {clip[0]}) are not supported" in err
    assert "<class" not in err and "function" not in err
