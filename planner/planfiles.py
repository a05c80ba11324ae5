"""Plan files in folders: which files a folder of plans holds, and the names
`plan --all-videos -o plans/` gives them (one plan file per CLIPER video).

A name is the video folder name made safe for any file system and shell:
lower case ASCII letters, digits and `-` (accents dropped, everything else a
`-`), e.g. `tech-tertulia-ep-12-bases-de-datos-sin-miedo-h7kqz2mwx9e.yaml`. It
depends only on the folder name, so the same video always gets the same file,
whatever other videos the workspace holds; two folders that would share a name
(they differ only in case or punctuation) both get 8 hex digits of their
folder name's hash after it.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from pathlib import Path

PLAN_SUFFIXES = (".yaml", ".yml")
_MAX_STEM = 80  # file systems allow 255 bytes; a plan name this long is already unreadable


def slug(name: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    text = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return text[:_MAX_STEM].rstrip("-") or "video"


def plan_file_names(video_ids: list[str]) -> dict[str, str]:
    """video id -> plan file name (`<slug>.yaml`), distinct for distinct ids."""
    stems = {vid: slug(vid) for vid in video_ids}
    counts: dict[str, int] = {}
    for stem in stems.values():
        counts[stem] = counts.get(stem, 0) + 1
    names = {}
    for vid, stem in stems.items():
        if counts[stem] > 1:
            stem += "-" + hashlib.sha256(vid.encode("utf-8", "surrogateescape")).hexdigest()[:8]
        names[vid] = stem + ".yaml"
    return names


def plan_files_in(folder: Path, *, but: Path | None = None) -> list[Path]:
    """The plan files directly in `folder` (hidden ones skipped), sorted, except `but`:
    what `cliper-sched diff plans/` means by a folder of plans, everywhere."""
    if not folder.is_dir():
        return []
    skip = but.resolve() if but is not None else None
    return sorted(p for p in folder.iterdir() if p.suffix in PLAN_SUFFIXES and not p.name.startswith(".")
                  and p.is_file() and p.resolve() != skip)
