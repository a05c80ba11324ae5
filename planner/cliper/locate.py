"""From the path a user typed to CLIPER video folders.

Accepted: a workspace root (holding `output/`), an `output/` folder, or one
`output/<video_id>/` folder. The workspace root is what plan paths are
relative to, so `media.path` reads `output/<video_id>/7.mp4`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from planner.errors import UserError

COPYS = Path("copys") / "clips_copys.json"
# D's TUI folder of flat exports (no per-video folder) and its cache.
NOT_VIDEO_FOLDERS = {"exports", ".cache", "copys"}


@dataclass(frozen=True)
class VideoFolder:
    workspace: Path  # what media paths are relative to
    folder: Path  # output/<video_id>/
    video_id: str  # the folder name, byte for byte


STYLE_FOLDERS = {"viral", "educational", "storytelling", "unclassified"}


def _has_own_clips(path: Path) -> bool:
    """Captions or clip files directly inside, or inside CLIPER style folders."""
    if (path / COPYS).is_file():
        return True
    for child in path.iterdir():
        if child.is_file() and child.suffix.lower() == ".mp4":
            return True
        if child.is_dir() and child.name in STYLE_FOLDERS:
            if any(g.suffix.lower() == ".mp4" for g in child.iterdir() if g.is_file()):
                return True
    return False


def _looks_like_video_folder(path: Path) -> bool:
    if _has_own_clips(path):
        return True
    # Older exports without captions or style folders: any sub-folder of clips.
    for child in path.iterdir():
        if child.is_dir() and not child.name.startswith(".") and child.name != "copys":
            if any(g.suffix.lower() == ".mp4" for g in child.iterdir() if g.is_file()):
                return True
    return False


def _video_folders(output: Path) -> list[Path]:
    return sorted(
        (p for p in output.iterdir()
         if p.is_dir() and not p.name.startswith(".") and p.name not in NOT_VIDEO_FOLDERS),
        key=lambda p: p.name,
    )


def find_videos(path: Path) -> list[VideoFolder]:
    """Every video folder under `path`, sorted by name; a UserError when none."""
    if not path.exists():
        raise UserError(f"{path}: no such file or folder",
                        hint="give the CLIPER workspace (the folder holding output/) or one output/<video>/ folder")
    if not path.is_dir():
        raise UserError(f"{path}: is a file, not a CLIPER workspace folder",
                        hint="give the folder holding output/, not a file inside it")
    if (path / "output").is_dir():
        workspace, output = path, path / "output"
    elif _has_own_clips(path):
        return [_single(path)]
    elif path.name == "output" or any(_has_own_clips(v) for v in _video_folders(path)):
        workspace, output = path.parent, path
    elif _looks_like_video_folder(path):
        return [_single(path)]
    else:
        raise UserError(f"{path}: not a CLIPER workspace (no output/ folder and no clips)",
                        hint="run CLIPER first, or point at the folder that holds output/<video>/")
    found = [VideoFolder(workspace, f, f.name) for f in _video_folders(output)]
    found = [v for v in found if _looks_like_video_folder(v.folder)]
    if not found:
        raise UserError(f"{output}: no video folders with clips inside",
                        hint="CLIPER writes output/<video>/<n>.mp4; export some clips first")
    return found


def _single(folder: Path) -> VideoFolder:
    workspace = folder.parent.parent if folder.parent.name == "output" else folder.parent
    return VideoFolder(workspace, folder, folder.name)


def pick_video(videos: list[VideoFolder], wanted: str | None) -> VideoFolder:
    """The one video to plan: the only one, or the one `--video` names.

    `--video` takes the folder name, or any part of it that only one video
    contains (case-insensitive): `--video "ep 12"`, `--video h7KqZ2mWx9E`.
    """
    if wanted is None:
        if len(videos) == 1:
            return videos[0]
        choices = "\n".join(f"  --video {_quote(v.video_id)}" for v in videos)
        raise UserError(f"{videos[0].workspace}: this workspace holds {len(videos)} videos; pick one with --video",
                        hint=f"one of:\n{choices}")
    for v in videos:
        if v.video_id == wanted:
            return v
    # A unique prefix or substring saves typing long YouTube titles.
    close = [v for v in videos if wanted.casefold() in v.video_id.casefold()]
    if len(close) == 1:
        return close[0]
    choices = "\n".join(f"  --video {_quote(v.video_id)}" for v in (close or videos))
    if close:
        raise UserError(f"--video {_quote(wanted)}: {len(close)} videos in {videos[0].workspace} match",
                        hint=f"give more of the name; one of:\n{choices}")
    raise UserError(f"--video {_quote(wanted)}: no such video in {videos[0].workspace}",
                    hint=f"one of:\n{choices}")


def _quote(text: str) -> str:
    import shlex

    from planner.textsafe import printable
    return shlex.quote(printable(text))  # a folder name may hold anything, even a line feed
