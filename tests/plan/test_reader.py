"""Reading CLIPER output: every layout of the format notes, built by the factory."""

from __future__ import annotations

import json

import pytest
import yaml

from support.workspaces import DEFAULT_VIDEO, make_workspace, mp4_bytes

FLAGS = ("--start", "2026-12-01 09:00", "--interval", "4h", "--channels", "tiktok-main",
         "--timezone", "America/Mexico_City")


def plan_of(cli, path, *extra):
    res = cli("plan", path, *FLAGS, *extra)
    assert res.code == 0, res.err
    return yaml.safe_load(res.out), res


def test_numeric_names_sort_numerically(tmp_path, cli):
    make_workspace(tmp_path, clips=12)
    doc, _ = plan_of(cli, tmp_path)
    assert [p["clip"] for p in doc["posts"]] == list(range(1, 13))
    assert doc["posts"][9]["media"]["path"] == f"output/{DEFAULT_VIDEO}/10.mp4"


@pytest.mark.parametrize("layout", ["legacy", "legacy-short"])
def test_legacy_v1_names(tmp_path, cli, layout):
    ws = make_workspace(tmp_path, clips=3, layout=layout)
    doc, _ = plan_of(cli, tmp_path)
    assert [p["clip"] for p in doc["posts"]] == [1, 2, 3]
    assert doc["posts"][0]["media"]["path"].endswith(ws.clips[1].name)


def test_style_folders_side_files_and_partial_copies(tmp_path, cli):
    make_workspace(tmp_path, clips=8, layout="styles", uncaptioned=[4, 7], side_files=True)
    doc, res = plan_of(cli, tmp_path)
    assert [p["clip"] for p in doc["posts"]] == [1, 2, 3, 5, 6, 8]
    assert "clip 4 has a video but no caption" in res.err
    assert "clip 7 has a video but no caption" in res.err
    paths = [p["media"]["path"] for p in doc["posts"]]
    assert not any("temp" in p or "short" in p or ".cache" in p for p in paths)
    assert doc["posts"][0]["media"]["path"] == f"output/{DEFAULT_VIDEO}/educational/1.mp4"


def test_copy_text_key_and_no_generation_metadata(tmp_path, cli):
    ws = make_workspace(tmp_path, clips=2, caption_key="copy_text", generation_metadata=False)
    doc, _ = plan_of(cli, tmp_path)
    assert [p["caption"] for p in doc["posts"]] == [ws.captions[1], ws.captions[2]]


def test_caption_without_video_is_reported_and_left_out(tmp_path, cli):
    make_workspace(tmp_path, clips=4, caption_only=[4])
    doc, res = plan_of(cli, tmp_path)
    assert [p["clip"] for p in doc["posts"]] == [1, 2, 3]
    assert "clip 4 has a caption but no video" in res.err


def test_uncaptioned_clips_included_with_a_template(tmp_path, cli):
    make_workspace(tmp_path, clips=3, uncaptioned=[2])
    doc, res = plan_of(cli, tmp_path, "--include-uncaptioned", "--caption-template", "Clip {clip} de {video_title} #demo")
    assert [p["clip"] for p in doc["posts"]] == [1, 2, 3]
    assert doc["posts"][1]["caption"] == "Clip 2 de Demo Charla 01 - Pruebas sin miedo #demo"
    res = cli("plan", tmp_path, *FLAGS, "--include-uncaptioned")
    assert res.code == 1 and "--caption-template" in res.err and res.out == ""


@pytest.mark.parametrize("given", ["root", "output", "video"])
def test_accepts_root_output_or_video_folder(tmp_path, cli, given):
    ws = make_workspace(tmp_path, clips=2)
    path = {"root": tmp_path, "output": tmp_path / "output", "video": ws.video_dir}[given]
    doc, _ = plan_of(cli, path)
    assert doc["posts"][0]["media"]["path"] == f"output/{DEFAULT_VIDEO}/1.mp4"
    assert doc["source"]["video"] == DEFAULT_VIDEO


def test_several_videos_need_video_flag(tmp_path, cli):
    make_workspace(tmp_path, clips=2, video_id="Ep 01_aaaaaaaaaaa")
    make_workspace(tmp_path, clips=3, video_id="Ep 02_bbbbbbbbbbb")
    res = cli("plan", tmp_path, *FLAGS)
    assert res.code == 1 and res.out == ""
    assert "2 videos" in res.err and "Ep 01_aaaaaaaaaaa" in res.err and "Ep 02_bbbbbbbbbbb" in res.err
    doc, _ = plan_of(cli, tmp_path, "--video", "Ep 02_bbbbbbbbbbb")
    assert len(doc["posts"]) == 3
    res = cli("plan", tmp_path, *FLAGS, "--video", "Ep 09")
    assert res.code == 1 and "no such video" in res.err and "--video 'Ep 01_aaaaaaaaaaa'" in res.err


def test_video_flag_takes_an_unambiguous_part_of_the_name(tmp_path, cli):
    make_workspace(tmp_path, clips=2, video_id="Tertulia Ep 12 - Bases_h7KqZ2mWx9E")
    make_workspace(tmp_path, clips=3, video_id="Tertulia Ep 13 - Colas_a7KqZ2mWx9E")
    res = cli("plan", tmp_path, *FLAGS, "--video", "ep 13")
    assert res.code == 0, res.err
    doc = yaml.safe_load(res.out)
    assert doc["source"]["video"] == "Tertulia Ep 13 - Colas_a7KqZ2mWx9E" and len(doc["posts"]) == 3
    assert "planning 'Tertulia Ep 13 - Colas_a7KqZ2mWx9E'" in res.err  # said, not silently guessed
    # The header records the full name: a later third "ep 13..." video cannot change what it means.
    assert "--video 'Tertulia Ep 13 - Colas_a7KqZ2mWx9E'" in res.out.split("\nversion: 1")[0]
    res = cli("plan", tmp_path, *FLAGS, "--video", "tertulia")
    assert res.code == 1 and res.out == "" and "2 videos" in res.err and "match" in res.err
    assert "Ep 12 - Bases_h7KqZ2mWx9E" in res.err and "Ep 13 - Colas_a7KqZ2mWx9E" in res.err


def test_ambiguous_duplicate_clip_files(tmp_path, cli):
    ws = make_workspace(tmp_path, clips=3)
    (ws.video_dir / "viral").mkdir()
    (ws.video_dir / "viral" / "2.mp4").write_bytes(mp4_bytes("again"))
    out = tmp_path / "plan.yaml"
    res = cli("plan", tmp_path, *FLAGS, "-o", out)
    assert res.code == 1 and not out.exists()
    assert "clip 2 has 2 video files" in res.err and "viral/2.mp4" in res.err and "2.mp4" in res.err


@pytest.mark.parametrize("content, words", [
    (b"", "empty (0 bytes)"),
    (mp4_bytes("x")[:40], "truncated"),
    (b"\0\0\0\x10ftypisom\0\0\0\0" + b"\0\0\0\x08mdat", "incomplete (no 'moov' box)"),
    (b"<html>not a video</html>", "not an MP4"),
])
def test_broken_video_is_an_error_naming_file_and_clip(tmp_path, cli, content, words):
    ws = make_workspace(tmp_path, clips=3)
    ws.clips[2].write_bytes(content)
    res = cli("plan", tmp_path, *FLAGS)
    assert res.code == 1 and res.out == ""
    assert "clip 2" in res.err and str(ws.clips[2]) in res.err and words in res.err
    assert "Traceback" not in res.err


def test_video_over_postiz_upload_limit_is_an_error(tmp_path, cli):
    ws = make_workspace(tmp_path, clips=2)
    with open(ws.clips[2], "r+b") as fh:  # sparse: 1.2 GB on paper, nothing on disk
        fh.truncate(1200 << 20)
    res = cli("plan", tmp_path, *FLAGS)
    assert res.code == 1 and res.out == ""
    assert "clip 2: the video is 1.2 GB, over Postiz's 1 GB upload limit" in res.err and str(ws.clips[2]) in res.err


def test_truncated_captions_file(tmp_path, cli):
    ws = make_workspace(tmp_path, clips=3)
    text = ws.copys.read_text(encoding="utf-8")
    ws.copys.write_text(text[: len(text) // 2], encoding="utf-8")
    out = tmp_path / "plan.yaml"
    res = cli("plan", tmp_path, *FLAGS, "-o", out)
    assert res.code == 1 and not out.exists()
    assert str(ws.copys) in res.err and "not valid JSON" in res.err and "Traceback" not in res.err


def test_duplicate_clip_id_in_captions(tmp_path, cli):
    ws = make_workspace(tmp_path, clips=3)
    doc = json.loads(ws.copys.read_text(encoding="utf-8"))
    doc["clips"].append(dict(doc["clips"][1]))
    ws.copys.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    res = cli("plan", tmp_path, *FLAGS)
    assert res.code == 1 and res.out == ""
    assert "clip 2 appears twice" in res.err and "clips[3]" in res.err


def test_not_a_workspace(tmp_path, cli):
    res = cli("plan", tmp_path / "nope", *FLAGS)
    assert res.code == 1 and "no such file or folder" in res.err
    (tmp_path / "empty").mkdir()
    res = cli("plan", tmp_path / "empty", *FLAGS)
    assert res.code == 1 and "not a CLIPER workspace" in res.err


def test_output_folder_with_another_name(tmp_path, cli):
    # D's TUI may use any output dir name: a folder of video folders is still recognised.
    ws = make_workspace(tmp_path / "ws", clips=2, layout="styles")
    renamed = tmp_path / "exports-2026"
    (tmp_path / "ws" / "output").rename(renamed)
    doc, _ = plan_of(cli, renamed)
    assert doc["posts"][0]["media"]["path"] == f"exports-2026/{ws.video_id}/educational/1.mp4"
    assert doc["source"]["video"] == ws.video_id


def test_bundled_example_clips_are_small_distinct_real_videos(repo_root):
    from planner.cliper.mp4check import mp4_problem
    from planner.fsutil import sha256_file

    clips = sorted((repo_root / "examples" / "cliper-workspace" / "output").glob("*/*.mp4"))
    assert len(clips) == 5
    assert all(mp4_problem(c, c.stat().st_size) is None and c.stat().st_size < 10_000 for c in clips)
    assert len({sha256_file(c) for c in clips}) == 5
    assert all(b"avc1" in c.read_bytes() for c in clips)  # H.264
