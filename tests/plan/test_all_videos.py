"""`plan WORKSPACE --all-videos -o plans/`: one plan per video, every problem of every video at once."""

from __future__ import annotations

import yaml

from support.workspaces import make_workspace

EP12 = "Tech Tertulia Ep 12 - Bases de datos sin miedo_h7KqZ2mWx9E"
EP07 = "Tech Tertulia Ep 07 - Tu primera API en producción_R2d-Lm8QwZs"
BROKEN = "Tech Tertulia Ep 13 - Colas_Xy9-AbCdEfG"
FILES = {EP12: "tech-tertulia-ep-12-bases-de-datos-sin-miedo-h7kqz2mwx9e.yaml",
         EP07: "tech-tertulia-ep-07-tu-primera-api-en-produccion-r2d-lm8qwzs.yaml"}
ARGS = ("--start", "2026-12-01 09:00", "--interval", "4h", "--channels", "tiktok-main",
        "--timezone", "America/Mexico_City")


def three_videos(root, *, broken: bool = True):
    make_workspace(root, video_id=EP12, clips=3)
    make_workspace(root, video_id=EP07, clips=2)
    bad = make_workspace(root, video_id=BROKEN, clips=4)
    if broken:
        bad.clips[2].write_bytes(b"")  # an export that died
        bad.clips[4].write_bytes(b"not a video at all, just text")
        bad.copys.write_text(bad.copys.read_text(encoding="utf-8")[:300], encoding="utf-8")  # truncated
    return bad


def test_writes_the_good_plans_and_lists_every_problem_of_the_broken_video(tmp_path, cli):
    bad = three_videos(tmp_path / "ws")
    plans = tmp_path / "plans"
    res = cli("plan", tmp_path / "ws", "--all-videos", "-o", plans, *ARGS)
    assert res.code == 1, res.err
    assert sorted(p.name for p in plans.glob("*.yaml")) == sorted(FILES.values())
    for video, name in FILES.items():
        doc = yaml.safe_load((plans / name).read_text(encoding="utf-8"))
        assert doc["source"]["video"] == video and doc["name"] == video
        assert f"Wrote {plans / name}: {len(doc['posts'])} posts." in res.err
    assert (plans / ".schema" / "plan.json").is_file()
    # Every problem of the broken video, each with its file, not one at a time.
    assert f"video {BROKEN!r} not planned (3 problems):" in res.err
    assert f"{bad.clips[2]}: clip 2: the video file is empty" in res.err
    assert f"{bad.clips[4]}: clip 4:" in res.err
    assert f"{bad.copys}:" in res.err and "not valid JSON" in res.err
    assert "hint: re-export this clip with CLIPER, or leave it out with --exclude-clip 2" in res.err
    assert "1 of 3 videos not planned; the plans of the other 2 are written" in res.err
    assert "Traceback" not in res.err and res.out == ""
    assert not list(plans.glob("*colas*"))


def test_all_good_videos_exit_0_and_each_plan_is_its_own(tmp_path, cli):
    three_videos(tmp_path / "ws", broken=False)
    plans = tmp_path / "plans"
    res = cli("plan", tmp_path / "ws", "--all-videos", "-o", plans, *ARGS)
    assert res.code == 0, res.err
    docs = [yaml.safe_load(p.read_text(encoding="utf-8")) for p in sorted(plans.glob("*.yaml"))]
    assert len(docs) == 3 and len({d["id"] for d in docs}) == 3
    # The header says how to make this one plan again, on its own.
    ep12 = (plans / FILES[EP12]).read_text(encoding="utf-8")
    assert f"--video '{EP12}'" in ep12 and f"-o {FILES[EP12]}" in ep12 and "--all-videos" not in ep12
    # Each plan validates.
    for p in sorted(plans.glob("*.yaml")):
        assert cli("validate", p).code == 0


def test_deterministic_names_and_content(tmp_path, cli):
    three_videos(tmp_path / "ws", broken=False)
    first, second = tmp_path / "one", tmp_path / "two"
    assert cli("plan", tmp_path / "ws", "--all-videos", "-o", first, *ARGS).code == 0
    assert cli("plan", tmp_path / "ws", "--all-videos", "-o", second, *ARGS).code == 0
    for p in sorted(first.glob("*.yaml")):
        assert (second / p.name).read_text(encoding="utf-8").replace("two/", "one/") \
            == p.read_text(encoding="utf-8").replace("two/", "one/")


def test_folders_that_would_share_a_file_name_get_distinct_ones(tmp_path, cli):
    make_workspace(tmp_path / "ws", video_id="Charla_AbCdEfGhIjK", clips=1)
    make_workspace(tmp_path / "ws", video_id="charla_abcdefghijk", clips=1)
    plans = tmp_path / "plans"
    res = cli("plan", tmp_path / "ws", "--all-videos", "-o", plans, *ARGS)
    assert res.code == 0, res.err
    names = sorted(p.name for p in plans.glob("*.yaml"))
    assert len(names) == 2 and all(n.startswith("charla-abcdefghijk-") for n in names)


def test_options_that_name_one_plan_are_refused(tmp_path, cli):
    three_videos(tmp_path / "ws", broken=False)
    for extra, said in ((["--name", "x"], "--name names one plan"), (["--video", "ep 12"], "--video names one plan"),
                        (["--exclude-clip", "2"], "--exclude-clip names a clip of one video")):
        res = cli("plan", tmp_path / "ws", "--all-videos", "-o", tmp_path / "plans", *ARGS, *extra)
        assert res.code == 1 and said in res.err and not (tmp_path / "plans").exists()
    res = cli("plan", tmp_path / "ws", "--all-videos", *ARGS)
    assert res.code == 1 and "give the folder with -o" in res.err and res.out == ""


def test_without_all_videos_a_folder_for_o_is_refused(tmp_path, cli):
    make_workspace(tmp_path / "ws", clips=1)
    (tmp_path / "plans").mkdir()
    res = cli("plan", tmp_path / "ws", "-o", tmp_path / "plans", *ARGS)
    assert res.code == 1 and "-o names a folder" in res.err and "--all-videos" in res.err


def test_the_plans_of_one_run_share_no_slot_and_a_second_run_changes_nothing(tmp_path, cli):
    three_videos(tmp_path / "ws", broken=False)
    plans = tmp_path / "plans"
    assert cli("plan", tmp_path / "ws", "--all-videos", "-o", plans, *ARGS, "--window", "09:00-21:00").code == 0
    first = {p.name: p.read_text(encoding="utf-8") for p in plans.glob("*.yaml")}
    times = [post["at"] for text in first.values() for post in yaml.safe_load(text)["posts"]]
    assert len(times) == 9 and len(set(times)) == 9, times  # one channel, no minute twice
    assert all("T09:00" <= t[10:16] <= "T21:00" for t in times)
    res = cli("plan", tmp_path / "ws", "--all-videos", "-o", plans, *ARGS, "--window", "09:00-21:00")
    assert res.code == 0, res.err
    assert {p.name: p.read_text(encoding="utf-8") for p in plans.glob("*.yaml")} == first


def test_a_broken_plan_already_in_the_folder_is_a_warning_not_a_stop(tmp_path, cli):
    # Like `plan -o` into that folder: a neighbour that does not read is skipped with a
    # warning; only a plan named with --avoid must read.
    three_videos(tmp_path / "ws", broken=False)
    plans = tmp_path / "plans"
    plans.mkdir()
    (plans / "old.yaml").write_text("version: 1\nname: old\nposts: [oops\n", encoding="utf-8")
    res = cli("plan", tmp_path / "ws", "--all-videos", "-o", plans, *ARGS)
    assert res.code == 0, res.err
    assert "old.yaml" in res.err
    assert len(list(plans.glob("tech-tertulia-*.yaml"))) == 3
