"""The reference CLIPER samples (../shared, CI only) and the facts their README states."""

from __future__ import annotations

import yaml

EP12 = "Tech Tertulia Ep 12 - Bases de datos sin miedo_h7KqZ2mWx9E"
EP07 = "Tech Tertulia Ep 07 - Tu primera API en produccion_R2d-Lm8QwZs"
FLAGS = ("--start", "2026-12-01 09:00", "--interval", "4h", "--channels", "tiktok-main,youtube-shorts",
         "--timezone", "America/Mexico_City")


def test_ep12_complete_export(shared_dir, cli):
    res = cli("plan", shared_dir / "samples/cliper/ep12", *FLAGS)
    assert res.code == 0, res.err
    doc = yaml.safe_load(res.out)
    posts = doc["posts"]
    assert [p["clip"] for p in posts] == list(range(1, 13))
    assert doc["source"]["video"] == EP12 and doc["name"] == EP12
    assert posts[0]["media"]["path"] == f"output/{EP12}/1.mp4"
    assert len(posts[9]["caption"]) == 150 and len(posts[9]["caption"].encode()) == 151
    assert len(posts[7]["caption"]) == 30
    assert "…" in posts[10]["caption"]
    assert "\\u" not in res.out and "\\U" not in res.out  # Unicode written as is


def test_ep12_matches_sha256sums(shared_dir, cli):
    sums = {}
    for line in (shared_dir / "samples/cliper/SHA256SUMS").read_text(encoding="utf-8").splitlines():
        digest, _, name = line.partition("  ")
        sums[name.lstrip("*")] = digest
    res = cli("plan", shared_dir / "samples/cliper/ep12", *FLAGS)
    for post in yaml.safe_load(res.out)["posts"]:
        assert sums["ep12/" + post["media"]["path"]] == post["media"]["sha256"]


def test_ep07_partial_styles(shared_dir, cli):
    res = cli("plan", shared_dir / "samples/cliper/ep07-partial", *FLAGS)
    assert res.code == 0, res.err
    posts = yaml.safe_load(res.out)["posts"]
    assert [p["clip"] for p in posts] == [1, 2, 3, 5, 6, 8]
    assert "clip 4 has a video but no caption" in res.err
    assert "clip 7 has a video but no caption" in res.err
    assert posts[2]["media"]["path"] == f"output/{EP07}/viral/3.mp4"
    assert "step1_temp" not in res.out and ".ass" not in res.out
