"""`cliper-sched validate`: offline checks a creator relies on before apply."""

from __future__ import annotations

import json

import pytest

from support.workspaces import make_workspace

PLAN = """version: 1
name: ep1
timezone: America/Mexico_City
source: {{workspace: ws}}
channels:
  yt: {{provider: youtube}}
  tk: {{provider: tiktok}}
  xm: {{provider: x}}
  pin: {{provider: pinterest}}
  misc: {{}}
posts:
  - key: clip-01
    clip: 1
    media: {{path: "{media}", sha256: "{sha}"}}
    caption: "{caption}"
    at: "{at}"
    channels: [{channels}]
"""


@pytest.fixture
def plan_file(tmp_path):
    ws = make_workspace(tmp_path / "ws", clips=1)
    from planner.fsutil import sha256_file

    def write(caption="Hola mundo 🚀 #clip", at="2026-12-01T09:00:00-06:00", channels="yt, tk, xm",
              extra="", sha=None, media=None):
        path = tmp_path / "p.yaml"
        media = media or ws.clips[1].relative_to(ws.root).as_posix()
        path.write_text(PLAN.format(media=media, sha=sha or sha256_file(ws.clips[1]), caption=caption,
                                    at=at, channels=channels) + extra, encoding="utf-8")
        return path
    write.ws = ws
    return write


def test_clean_plan_passes(cli, plan_file):
    res = cli("validate", plan_file())
    assert res.code == 0, res.err
    assert "0 error(s)" in res.out


def test_x_counts_weighted_length(cli, plan_file):
    # 140 emoji = 280 UTF-16 units and 280 weighted: fits YouTube/TikTok, too long for X.
    res = cli("validate", plan_file(caption="😀" * 141))
    assert res.code == 1
    assert "p.yaml:15: posts[0].caption: the caption is 282 characters (weighted as X counts it); x allows 280 (on xm)" in res.err
    assert "(on yt)" not in res.err


def test_html_brackets_past_time_and_same_minute(cli, plan_file):
    extra = ('  - key: clip-02\n    caption: "otra #b"\n    at: "2026-12-01T09:00:30-06:00"\n    channels: [tk]\n')
    res = cli("validate", plan_file(caption="a <b> c", extra=extra))
    assert res.code == 1
    assert "'<' or '>'" in res.err
    assert "posts[1].at: clip-01 is already at 2026-12-01T09:00:00-06:00: two posts in the same minute (on tk)" in res.err
    res = cli("validate", plan_file(caption="a <b> c", channels="yt, tk, xm"))
    assert res.err.count("'<' or '>'") == 1 and "(on yt, tk, xm)" in res.err  # one line, every channel named
    res = cli("validate", plan_file(at="2026-11-01T09:00:00-06:00"))
    assert res.code == 1 and "is in the past" in res.err


def test_required_settings_after_defaults(cli, plan_file):
    # Pinterest has no default board; everything else is filled by the defaults.
    res = cli("validate", plan_file(channels="yt, tk, xm, pin"))
    assert res.code == 1
    assert "board is required by pinterest" in res.err
    assert res.err.count("is required") == 1


def test_setting_missing_on_a_channel_is_one_problem_and_plan_says_so(cli, tmp_path):
    make_workspace(tmp_path / "ws", clips=5)
    rules = tmp_path / "rules.yaml"
    rules.write_text('timezone: UTC\ninterval: 1d\nchannels:\n  pin: {provider: pinterest}\n'
                     '  yt: {provider: youtube}\n', encoding="utf-8")
    out = tmp_path / "p.yaml"
    res = cli("plan", tmp_path / "ws", "--rules", rules, "-o", out)
    assert res.code == 0 and out.exists()
    assert "pin: board is required by pinterest" in res.err and "(5 of 5 posts)" in res.err
    assert "yt:" not in res.err  # YouTube's title and type come from the defaults
    res = cli("validate", out)
    assert res.code == 1
    assert res.err.count("board is required") == 1 and "5 posts: clip-01 ... clip-05 on pin" in res.err


def test_bare_no_is_explained(cli, plan_file, tmp_path):
    path = plan_file()
    path.write_text(path.read_text(encoding="utf-8").replace("tk: {provider: tiktok}",
                    "tk: {provider: tiktok, settings: {autoAddMusic: no}}"), encoding="utf-8")
    res = cli("validate", path)
    assert res.code == 1 and 'write "yes" or "no" in quotes' in res.err and "p.yaml:7" in res.err


def test_changed_media_is_a_warning_missing_media_an_error(cli, plan_file):
    res = cli("validate", plan_file(sha="0" * 64))
    assert res.code == 0
    assert "changed since the plan was made: apply refuses to publish a video nobody reviewed" in res.err
    res = cli("validate", plan_file(media="output/nope/9.mp4"))
    assert res.code == 1 and "media file not found" in res.err


def test_media_postiz_would_refuse_is_an_error(cli, plan_file, tmp_path):
    ws = plan_file.ws
    (ws.video_dir / "notes.json").write_text('{"not": "a video"}', encoding="utf-8")
    res = cli("validate", plan_file(media=(ws.video_dir / "notes.json").relative_to(ws.root).as_posix()))
    assert res.code == 1 and "posts[0].media.path: notes.json is not an MP4 video" in res.err
    with open(ws.clips[1], "r+b") as fh:  # sparse: 1.2 GB on paper, nothing on disk
        fh.truncate(1200 << 20)
    res = cli("validate", plan_file(sha="0" * 64))
    assert res.code == 1 and "1.mp4 is 1.2 GB: over Postiz's 1 GB upload limit" in res.err


def test_empty_plan_is_an_error_pointing_at_destroy(cli, tmp_path):
    """An empty plan is almost always a truncated or mis-generated file; applied, it
    would delete every post it made. Removing everything on purpose is `destroy`."""
    path = tmp_path / "empty.yaml"
    path.write_text("version: 1\nname: ep1\ntimezone: UTC\nposts: []\n", encoding="utf-8")
    res = cli("validate", path)
    assert res.code == 1 and "posts: the plan has no posts" in res.err and "cliper-sched destroy" in res.err


def test_unknown_provider_is_a_warning(cli, plan_file, tmp_path):
    path = plan_file()
    path.write_text(path.read_text(encoding="utf-8").replace("provider: youtube", "provider: youtub"),
                    encoding="utf-8")
    res = cli("validate", path)
    assert res.code == 0 and "unknown provider 'youtub' (did you mean 'youtube'?)" in res.err


def test_json_output(cli, plan_file):
    res = cli("validate", "--json", plan_file(caption="a <b> c"))
    assert res.code == 1
    report = json.loads(res.out)
    assert report["ok"] is False and report["errors"] >= 1
    first = report["problems"][0]
    assert first["path"] == "posts[0].caption" and first["line"] == 15 and first["severity"] == "error"


def test_typo_in_hand_edited_plan_never_tracebacks(cli, plan_file):
    path = plan_file()
    path.write_text(path.read_text(encoding="utf-8").replace("    caption:", "    captoin:"), encoding="utf-8")
    res = cli("validate", path)
    assert res.code == 1 and "Traceback" not in res.err
    assert "unknown field 'captoin' (did you mean 'caption'?)" in res.err
    res = cli("validate", path.parent / "missing.yaml")
    assert res.code == 1 and "no such file" in res.err


@pytest.mark.parametrize("text", ["Mira {video_title} hoy", "{title:80}", "{clip.__class__}", "{caption[0]}"])
def test_template_placeholders_left_in_a_plan_are_refused(cli, plan_file, text):
    """A placeholder in a plan is posted as is; validate (and so apply) refuses it."""
    result = cli("validate", plan_file(caption=text))
    assert result.code == 1, result.out + result.err
    assert "template placeholder" in result.err and "posts[0].caption" in result.err


def test_other_braces_in_a_caption_are_text(cli, plan_file):
    result = cli("validate", plan_file(caption="f'{nombre}' y {foo} en Python {}"))
    assert result.code == 0 and "template placeholder" not in result.err, result.err


def test_x_length_without_setuptools(cli, plan_file, tmp_path, monkeypatch):
    # Python 3.12+ venvs have no setuptools, and newer setuptools no pkg_resources, which
    # twitter-text-parser imports without declaring it: X captions must still be counted.
    blocker = tmp_path / "no-setuptools"
    blocker.mkdir()
    (blocker / "pkg_resources.py").write_text("raise ImportError(\"No module named 'pkg_resources'\")\n")
    monkeypatch.setenv("PYTHONPATH", str(blocker))
    res = cli("validate", plan_file(caption="😀" * 141))
    assert res.code == 1, res.err
    assert "282 characters (weighted as X counts it); x allows 280" in res.err
    assert "Traceback" not in res.err
