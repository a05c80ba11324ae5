"""Cheap sanity check of an exported clip without decoding it.

CLIPER exports without `+faststart`, so a finished file starts with `ftyp` and
ends with `moov`; an ffmpeg run killed half-way leaves `ftyp` + `mdat` and no
`moov`. Walking the top-level boxes (a few reads) tells the two apart.
"""

from __future__ import annotations

import struct
from pathlib import Path


def mp4_problem(path: Path, size: int) -> str | None:
    """None when `path` looks like a complete MP4, else why not (in words)."""
    if size == 0:
        return "the video file is empty (0 bytes): the export probably failed"
    try:
        with open(path, "rb") as fh:
            head = fh.read(12)
            if len(head) < 12 or head[4:8] != b"ftyp":
                return "the file is not an MP4 video (no 'ftyp' header)"
            offset, seen_moov = 0, False
            while offset < size:
                fh.seek(offset)
                box = fh.read(16)
                if len(box) < 8:
                    break
                box_size, kind = struct.unpack(">I4s", box[:8])
                if box_size == 1 and len(box) == 16:
                    box_size = struct.unpack(">Q", box[8:16])[0]
                elif box_size == 0:  # "extends to the end of the file"
                    box_size = size - offset
                if box_size < 8:
                    return "the MP4 structure is damaged (a box with an impossible size)"
                if kind == b"moov":
                    seen_moov = True
                offset += box_size
            if offset > size:
                return "the video is truncated (the last MP4 box runs past the end of the file)"
            if not seen_moov:
                return "the video is incomplete (no 'moov' box): the export was probably interrupted"
    except OSError as exc:
        return f"the video cannot be read ({exc.strerror or exc})"
    return None
