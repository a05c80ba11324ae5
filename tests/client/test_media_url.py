"""Media Postiz cannot publish: a channel whose network fetches media by URL (Instagram) is
warned about a loopback / plain-http upload URL by apply, diff and doctor; YouTube (Postiz
uploads the bytes) and a public https URL are not."""

from __future__ import annotations

import json

import pytest

from support.reconcile_helpers import PlanFile, run
from support.sandbox import running_sandbox

WARNED = "instagram-reels (instagram) would get its videos from http://127.0.0.1:"


@pytest.fixture
def box(tmp_path, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("CLIPER_SCHED_CACHE_DIR", str(tmp_path / "cache"))
    with running_sandbox(tmp_path, limit=1000) as sb:
        monkeypatch.setenv("POSTIZ_API_URL", sb.api_url)
        monkeypatch.setenv("POSTIZ_API_KEY", sb.api_key)
        yield sb


def _doctor(*args: str) -> dict:
    result = run("doctor", "--json", *args)
    checks = {c["name"]: c for c in json.loads(result.out)["checks"]}
    return checks["media"]


def test_loopback_http_url_is_warned_for_instagram_not_youtube(tmp_path, box):
    plan = PlanFile(tmp_path, posts=1, channels=("instagram-reels", "youtube-shorts"))
    applied = run("apply", str(plan), "--auto-approve")
    assert applied.code == 0, applied.out + applied.err
    said = applied.out + applied.err
    assert WARNED in said and "plain http" in said and "loopback" in said and "FRONTEND_URL" in said
    assert "youtube-shorts (youtube) would" not in said

    diff = run("diff", str(plan))  # the URL is now recorded: every later review says it
    assert diff.code == 0 and WARNED in diff.out + diff.err

    media = _doctor(str(plan))
    assert media["status"] == "warn" and WARNED in media["message"] and "FRONTEND_URL" in media["hint"]
    assert "range requests: answers byte ranges (206)" in media["details"]


def test_youtube_only_plan_is_not_warned(tmp_path, box):
    plan = PlanFile(tmp_path, posts=1, channels=("youtube-shorts",))
    applied = run("apply", str(plan), "--auto-approve")
    assert applied.code == 0, applied.out + applied.err
    assert "would get its" not in applied.out + applied.err
    media = _doctor(str(plan))
    assert media["status"] == "ok", media
    # Postiz reads the URL itself for YouTube: what that needs is said, as information.
    assert any("DISABLE_SSRF_PROTECTION" in line for line in media["details"])


def test_public_https_url_is_not_warned(tmp_path, box):
    box.app.frontend_url = "https://media.example.com"  # Postiz's FRONTEND_URL on a public host
    plan = PlanFile(tmp_path, posts=1, channels=("instagram-reels", "youtube-shorts"))
    applied = run("apply", str(plan), "--auto-approve")
    assert applied.code == 0, applied.out + applied.err
    assert "would get its" not in applied.out + applied.err
    assert "would get its" not in run("diff", str(plan)).out
    media = _doctor(str(plan))
    assert media["status"] == "ok" and "can fetch https://media.example.com/uploads/" in media["message"]


def test_doctor_probe_upload_learns_the_url_and_a_server_without_ranges_is_warned(tmp_path, box):
    before = _doctor()
    assert before["status"] == "info" and "not known yet" in before["message"]  # nothing uploaded, nothing sent
    assert box.store.get_meta("seeded")  # (the sandbox is the one the CLI talks to)
    probed = _doctor("--upload-probe")
    assert probed["status"] == "warn" and WARNED in probed["message"]
    assert any("1x1 PNG" in line for line in probed["details"])

    box.app.ranges = False  # a media host that ignores Range: videos cannot be read in chunks
    plan = PlanFile(tmp_path, posts=1, channels=("youtube-shorts",))
    assert run("apply", str(plan), "--auto-approve").code == 0
    media = _doctor(str(plan))
    assert media["status"] == "warn" and any("200, not 206" in line for line in media["details"])
