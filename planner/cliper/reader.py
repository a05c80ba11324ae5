"""One CLIPER video folder -> clips (video + caption + metadata) and problems.

Follows the reading algorithm of the CLIPER format notes: clip files found by
walking the folder (numeric and legacy v1.0 names, style sub-folders), side
files and leftovers ignored, captions from `copys/clips_copys.json` (`copy` or
`copy_text`), every problem named by file and clip id.
"""

from __future__ import annotations

import json
import os
import re
import stat
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path

from planner.cliper.locate import COPYS, VideoFolder
from planner.cliper.mp4check import mp4_problem
from planner.errors import Problem, UserError
from planner.fsutil import CAPTIONS_MAX_BYTES, file_kind, read_capped
from planner.providers import MAX_VIDEO_BYTES

CLIP_NAME = re.compile(r"^(\d+)\.mp4$")
LEGACY_NAME = re.compile(r"(?:^|_)clip_(\d{3,})(?:_(?:9x16|1x1|16x9))?(?:_subs)?\.mp4$")
# Leftovers of killed exports and D's whole-video shorts: never clips.
IGNORED_MP4 = re.compile(r"(_temp\.mp4|_short\.mp4|_trimmed\.mp4)$|^temp_")
SKIPPED_DIRS = {"copys", ".cache"}


@dataclass
class Clip:
    id: int
    video: Path
    caption: str | None = None
    metadata: dict = field(default_factory=dict)


@dataclass
class VideoContent:
    source: VideoFolder
    clips: list[Clip]  # clips that have a usable video, by id; caption may be None
    orphan_captions: list[int]  # captions whose video is missing
    problems: list[Problem]
    missing_declared: list[int]  # generation_metadata.missing_clips, for reporting
    excluded: list[int] = field(default_factory=list)  # clips asked to be left out that the folder has

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def title(self) -> str:
        return video_title(self.source.video_id)


# yt-dlp names a download `<title>_<11-character YouTube id>`; CLIPER's fork D adds
# `_<8 hex>` when two videos had the same name (samples README, section 2).
_YOUTUBE_NAME = re.compile(r"^(.*)_([A-Za-z0-9_-]{11})(?:_[0-9a-f]{8})?$")


def video_title(video_id: str) -> str:
    """The YouTube title part of `<title>_<11-char id>[_<8 hex>]`, else the id."""
    m = _YOUTUBE_NAME.match(video_id)
    return m.group(1) if m and m.group(1).strip() else video_id


def youtube_id(video_id: str) -> str | None:
    """The 11-character YouTube id of `<title>_<id>[_<8 hex>]` (no collision suffix), else None."""
    m = _YOUTUBE_NAME.match(video_id)
    return m.group(2) if m and m.group(1).strip() else None


def _display(path: Path) -> str:
    return str(path)


def _scan_videos(folder: Path, problems: list[Problem]) -> dict[int, list[Path]]:
    found: dict[int, list[Path]] = {}
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in SKIPPED_DIRS)
        for name in sorted(files):
            if name.startswith(".") or not name.lower().endswith(".mp4"):
                continue  # subtitles (.ass/.srt), .DS_Store and other side files
            if IGNORED_MP4.search(name):
                continue
            m = CLIP_NAME.match(name) or LEGACY_NAME.search(name)
            path = Path(root) / name
            if not m:
                problems.append(Problem("not a CLIPER clip name (expected <n>.mp4): ignored",
                                        file=_display(path), severity="warning"))
                continue
            found.setdefault(int(m.group(1)), []).append(path)
    return found


def _read_copys(path: Path, problems: list[Problem], exclude: Collection[int] = ()) -> tuple[dict[int, tuple[str | None, dict]], list[int]] | None:
    """clip id -> (caption or None, metadata); None when the file is unusable."""
    shown = _display(path)
    try:
        raw = read_capped(path, CAPTIONS_MAX_BYTES, "the captions file", file=shown)
    except UserError as exc:  # a FIFO, a device, or far too big: refused unread
        problems.extend(exc.problems)
        return None
    except OSError as exc:
        problems.append(Problem(f"cannot read the captions file ({exc.strerror or exc})", file=shown))
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        problems.append(Problem(f"not valid UTF-8 at byte {exc.start}: the file is damaged",
                                file=shown, hint="re-run CLIPER's caption step for this video"))
        return None
    if text.startswith("\ufeff"):
        text = text[1:]
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        problems.append(Problem(f"not valid JSON: {exc.msg} (column {exc.colno})", file=shown, line=exc.lineno,
                                hint="the file is probably truncated; re-run CLIPER's caption step. "
                                     "Nothing from this video was scheduled."))
        return None
    except RecursionError:  # thousands of nested [ or {, deeper than Python's JSON parser goes
        problems.append(Problem("nested too deeply to read: this is not the captions file CLIPER writes",
                                file=shown, hint="re-run CLIPER's caption step for this video"))
        return None
    if not isinstance(doc, dict) or not isinstance(doc.get("clips"), list):
        problems.append(Problem("expected a JSON object with a 'clips' list", file=shown,
                                hint="this does not look like CLIPER's copys/clips_copys.json"))
        return None
    captions: dict[int, tuple[str | None, dict]] = {}
    ok = True
    for i, entry in enumerate(doc["clips"]):
        where = f"clips[{i}]"
        cid = entry.get("clip_id") if isinstance(entry, dict) else None
        if not isinstance(cid, int) or isinstance(cid, bool) or cid < 1:
            problems.append(Problem("entry without a valid 'clip_id' (a whole number from 1)", file=shown, path=where))
            ok = False
            continue
        if cid in exclude:  # left out on purpose: whatever is wrong with it does not matter
            captions.setdefault(cid, (None, {}))
            continue
        if cid in captions:
            problems.append(Problem(f"clip {cid} appears twice", file=shown, path=where,
                                    hint=f"keep one entry per clip_id in clips_copys.json, or leave the clip out "
                                         f"with --exclude-clip {cid}"))
            ok = False
            continue
        caption = entry.get("copy", entry.get("copy_text"))
        if caption is not None and not isinstance(caption, str):
            problems.append(Problem(f"clip {cid}: the caption is not text", file=shown, path=f"{where}.copy"))
            ok = False
            continue
        if caption is not None and not caption.strip():
            caption = None  # never post an empty caption; reported as uncaptioned
        meta = entry.get("metadata")
        captions[cid] = (caption, meta if isinstance(meta, dict) else {})
    if not ok:
        return None
    gen = doc.get("generation_metadata")
    missing = gen.get("missing_clips") if isinstance(gen, dict) else None
    declared = sorted(m for m in missing if isinstance(m, int)) if isinstance(missing, list) else []
    if doc.get("video_id") not in (None, path.parent.parent.name):
        problems.append(Problem(f"video_id {doc.get('video_id')!r} differs from the folder name",
                                file=shown, severity="warning",
                                hint="the captions may belong to another video; check before applying"))
    return captions, declared


def _leads_outside(path: Path, workspace: Path) -> Path | None:
    """Where `path` really is, when a link takes it outside `workspace`; else None."""
    target, root = Path(os.path.realpath(path)), Path(os.path.realpath(workspace))
    return None if target == root or target.is_relative_to(root) else target


def read_video(source: VideoFolder, exclude: Collection[int] = ()) -> VideoContent:
    """Every clip and caption of one video folder. A workspace may come through a pull
    request: a clip or captions file that is a link out of the workspace (a private
    video, say) is an error, never read, and so is one that is not a regular file.
    Clips in `exclude` are left out unread, problems and all (a damaged clip)."""
    problems: list[Problem] = []
    videos = _scan_videos(source.folder, problems)
    excluded = {cid for cid in videos if cid in exclude}
    clips: list[Clip] = []
    for cid in sorted(set(videos) - excluded):
        paths = videos[cid]
        if len(paths) > 1:
            listed = ", ".join(str(p.relative_to(source.folder)) for p in paths)
            problems.append(Problem(f"clip {cid} has {len(paths)} video files ({listed}); which one to post is ambiguous",
                                    file=_display(source.folder),
                                    hint=f"delete or move the files you do not want to post, or leave the clip out "
                                         f"with --exclude-clip {cid}"))
            continue
        path = paths[0]
        outside = _leads_outside(path, source.workspace)
        if outside is not None:
            problems.append(Problem(f"clip {cid}: the video is a link to a file outside the workspace ({outside})",
                                    file=_display(path),
                                    hint="only files inside the workspace are planned: copy the video in, "
                                         f"or leave the clip out with --exclude-clip {cid}"))
            continue
        try:
            st = path.stat()
        except OSError as exc:
            problems.append(Problem(f"clip {cid}: cannot read the video ({exc.strerror or exc})", file=_display(path)))
            continue
        if not stat.S_ISREG(st.st_mode):
            problems.append(Problem(f"clip {cid}: the video is {file_kind(st.st_mode)}, not a regular file",
                                    file=_display(path), hint="export the clip again with CLIPER, "
                                                              f"or leave it out with --exclude-clip {cid}"))
            continue
        size = st.st_size
        bad = mp4_problem(path, size)
        if bad is None and size > MAX_VIDEO_BYTES:
            bad = f"the video is {size / (1 << 30):.1f} GB, over Postiz's 1 GB upload limit"
        if bad:
            problems.append(Problem(f"clip {cid}: {bad}", file=_display(path),
                                    hint=f"re-export this clip with CLIPER, or leave it out with --exclude-clip {cid}"))
            continue
        clips.append(Clip(cid, path))
    copys_path = source.folder / COPYS
    orphans: list[int] = []
    declared: list[int] = []
    copys_outside = _leads_outside(copys_path, source.workspace) if os.path.lexists(copys_path) else None
    if copys_outside is not None:
        problems.append(Problem(f"the captions file is a link to a file outside the workspace ({copys_outside})",
                                file=_display(copys_path),
                                hint="captions are read only from inside the workspace: copy the file in"))
    elif os.path.lexists(copys_path):
        read = _read_copys(copys_path, problems, exclude)
        if read is not None:
            captions, declared = read
            by_id = {c.id: c for c in clips}
            for cid, (caption, meta) in captions.items():
                if cid in exclude:
                    excluded.add(cid)
                elif cid in by_id:
                    by_id[cid].caption, by_id[cid].metadata = caption, meta
                elif cid not in videos:
                    orphans.append(cid)
    else:
        problems.append(Problem("no captions file (copys/clips_copys.json): every clip is uncaptioned",
                                file=_display(source.folder), severity="warning",
                                hint="run CLIPER's caption step, or use --include-uncaptioned --caption-template"))
    declared = [cid for cid in declared if cid not in exclude]
    return VideoContent(source, clips, sorted(orphans), problems, declared, sorted(excluded))
