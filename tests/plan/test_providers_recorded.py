"""Plans record each channel's provider (`plan --provider`, `--providers-from-postiz`), so
offline `validate` checks lengths; diff refuses a plan whose recorded provider Postiz contradicts."""

from __future__ import annotations

import yaml

from support.cli import run
from support.sandbox import running_sandbox
from support.workspaces import make_workspace

LONG = "Bases de datos sin miedo: " + "índices, consultas y transacciones explicadas. " * 7 + "#shorts"
PLAN_ARGS = ("--start", "2031-03-02 09:00", "--interval", "4h", "--timezone", "America/Mexico_City")


def _workspace(tmp_path):
    return make_workspace(tmp_path / "ws", clips=2, captions={1: LONG, 2: "Corto #shorts"})


def test_provider_flag_is_recorded_and_validate_checks_x_offline(tmp_path, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.delenv("POSTIZ_API_URL", raising=False)  # offline: no Postiz anywhere
    ws = _workspace(tmp_path)
    out = tmp_path / "plans" / "ep12.yaml"
    made = run("plan", str(ws.root), *PLAN_ARGS, "--channels", "tiktok-main,x-main", "--provider", "x-main=x",
               "-o", str(out))
    assert made.code == 0, made.err
    assert "x allows 280" in made.err  # said at plan time already
    doc = yaml.safe_load(out.read_text())
    assert doc["channels"]["x-main"]["provider"] == "x"
    assert "tiktok-main" not in doc.get("channels", {})  # unknown stays unrecorded, not guessed
    assert "--provider x-main=x" in out.read_text().split("\nversion:")[0]  # the header repeats it

    checked = run("validate", str(out))
    assert checked.code == 1, checked.out + checked.err
    line = next(i + 1 for i, text in enumerate(out.read_text().splitlines()) if text.startswith("  caption:"))
    assert f"{out}:{line}: posts[0].caption" in checked.out + checked.err
    assert "x allows 280" in checked.out + checked.err


def test_without_provider_validate_cannot_check_the_length(tmp_path, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    ws = _workspace(tmp_path)
    out = tmp_path / "plans" / "ep12.yaml"
    assert run("plan", str(ws.root), *PLAN_ARGS, "--channels", "tiktok-main,x-main", "-o", str(out)).code == 0
    assert run("validate", str(out)).code == 0  # the reason the flag exists


def test_provider_flag_for_a_channel_not_in_the_plan_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    ws = _workspace(tmp_path)
    out = tmp_path / "ep12.yaml"
    bad = run("plan", str(ws.root), *PLAN_ARGS, "--channels", "tiktok-main", "--provider", "x-mian=x",
              "-o", str(out))
    assert bad.code == 1 and "x-mian is not a channel of this plan" in bad.err and "Traceback" not in bad.err
    assert not out.exists()
    syntax = run("plan", str(ws.root), *PLAN_ARGS, "--channels", "tiktok-main", "--provider", "x-main")
    assert syntax.code == 1 and "write CHANNEL=PROVIDER" in syntax.err


def test_providers_from_postiz_and_a_swapped_channel_is_refused_by_diff(tmp_path, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("CLIPER_SCHED_CACHE_DIR", str(tmp_path / "cache"))
    ws = _workspace(tmp_path)
    out = tmp_path / "plans" / "ep12.yaml"
    with running_sandbox(tmp_path) as sb:
        monkeypatch.setenv("POSTIZ_API_URL", sb.api_url)
        monkeypatch.setenv("POSTIZ_API_KEY", sb.api_key)
        made = run("plan", str(ws.root), *PLAN_ARGS, "--channels", "tiktok-main,x-main,youtube-shorts",
                   "--providers-from-postiz", "-o", str(out))
        assert made.code == 0, made.err
        channels = yaml.safe_load(out.read_text())["channels"]
        assert {ref: c["provider"] for ref, c in channels.items()} == {
            "tiktok-main": "tiktok", "x-main": "x", "youtube-shorts": "youtube"}

        # x-main is now recorded as linkedin by hand: Postiz says x, so diff refuses, naming the line.
        text = out.read_text().replace("x-main: {provider: x}", "x-main: {provider: linkedin}", 1)
        assert "x-main: {provider: linkedin}" in text
        out.write_text(text)
        line = next(i + 1 for i, t in enumerate(text.splitlines()) if "x-main: {provider: linkedin}" in t)
        diff = run("diff", str(out))
        assert diff.code == 1, diff.out + diff.err
        assert f"{out}:{line}: channels.x-main.provider" in diff.err
        assert "Postiz says x-main is provider x" in diff.err and "Traceback" not in diff.err
        assert sb.store.all_posts() == []  # nothing sent
