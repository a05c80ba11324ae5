"""Build CLIPER workspaces in a temp folder, in every layout CLIPER produces.

    from support.workspaces import make_workspace
    ws = make_workspace(tmp_path, clips=5)                  # output/<video>/1..5.mp4 + copys
    ws = make_workspace(tmp_path, clips=8, layout="styles", uncaptioned=[4, 7])

The videos are tiny but sniff as video/mp4 (an `ftyp` box with the `isom`
brand, a `free` box of unique bytes, an empty `moov`): every clip differs, so
every sha256 differs. Layouts follow ../shared/samples/cliper/README.md:
"flat" (`<n>.mp4`), "styles" (`viral/<n>.mp4`, ...), "legacy" (v1.0
`<video_id>_clip_<NNN>_9x16_subs.mp4`), "legacy-short" (`clip_<NNN>_9x16.mp4`).
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_VIDEO = "Demo Charla 01 - Pruebas sin miedo_AbC-12_xYz9"
STYLES = ("viral", "educational", "storytelling")
_EMOJI = "🚀🔥💡😱📚🐍✅🎯"
_TOPICS = ["tests", "Python", "bases de datos", "APIs", "despliegues", "caché", "logs", "colas"]


def _box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I4s", 8 + len(payload), kind) + payload


def mp4_bytes(tag: str) -> bytes:
    """A few dozen bytes that sniff as MP4 and are unique per `tag`."""
    ftyp = _box(b"ftyp", b"isom" + struct.pack(">I", 512) + b"isomiso2avc1mp41")
    return ftyp + _box(b"free", f"cliper-sched test clip {tag}".encode()) + _box(b"moov", b"")


def caption_for(clip_id: int) -> str:
    emoji = _EMOJI[clip_id % len(_EMOJI)]
    topic = _TOPICS[clip_id % len(_TOPICS)]
    return f"Clip {clip_id}: lo que nadie te cuenta de {topic} {emoji} Aprende en 60 s #Programación #Clip{clip_id}"


def metadata_for(clip_id: int, viral: float | None = None, engagement: float | None = None) -> dict:
    return {
        "sentiment": "educational",
        "sentiment_score": 0.7,
        "engagement_score": float(engagement if engagement is not None else 7.0 + (clip_id % 3)),
        "suggested_thumbnail_timestamp": 1.5,
        "primary_topics": [_TOPICS[clip_id % len(_TOPICS)], "programación"],
        "hook_strength": "high",
        "viral_potential": float(viral if viral is not None else 6.0 + (clip_id * 7 % 4)),
    }


def clip_filename(clip_id: int, video_id: str, layout: str) -> str:
    if layout == "legacy":
        return f"{video_id}_clip_{clip_id:03d}_9x16_subs.mp4"
    if layout == "legacy-short":
        return f"clip_{clip_id:03d}_9x16.mp4"
    return f"{clip_id}.mp4"


@dataclass
class CliperWorkspace:
    root: Path  # the workspace (holds output/)
    video_id: str
    video_dir: Path  # output/<video_id>/
    clips: dict[int, Path] = field(default_factory=dict)  # clip id -> video file
    captions: dict[int, str] = field(default_factory=dict)  # clip id -> caption written

    @property
    def copys(self) -> Path:
        return self.video_dir / "copys" / "clips_copys.json"


def make_workspace(
    root: Path,
    *,
    video_id: str = DEFAULT_VIDEO,
    clips: int | list[int] = 5,
    layout: str = "flat",
    caption_key: str = "copy",
    uncaptioned: list[int] | tuple = (),
    caption_only: list[int] | tuple = (),
    generation_metadata: bool = True,
    side_files: bool = False,
    scores: dict[int, tuple[float, float]] | None = None,
    captions: dict[int, str] | None = None,
    write_copys: bool = True,
) -> CliperWorkspace:
    """A CLIPER workspace under `root` (reusable: call again with another video_id).

    uncaptioned: clips that get a video but no caption; caption_only: clips that
    get a caption but no video; scores: clip -> (viral_potential, engagement_score);
    side_files: also drop the files a reader must ignore (.ass, .srt, *_temp.mp4,
    temp_*.mp4, *_short.mp4, .DS_Store, .cache/).
    """
    ids = list(range(1, clips + 1)) if isinstance(clips, int) else list(clips)
    video_dir = root / "output" / video_id
    video_dir.mkdir(parents=True, exist_ok=True)
    ws = CliperWorkspace(root, video_id, video_dir)
    for cid in ids:
        if cid in caption_only:
            continue
        folder = video_dir / STYLES[cid % len(STYLES)] if layout == "styles" else video_dir
        folder.mkdir(exist_ok=True)
        path = folder / clip_filename(cid, video_id, layout)
        path.write_bytes(mp4_bytes(f"{video_id}/{cid}"))
        ws.clips[cid] = path
        if side_files:
            (folder / f"{cid}.ass").write_text("[Script Info]\n", encoding="utf-8")
            (folder / f"{cid}.srt").write_text("1\n00:00:00,000 --> 00:00:01,000\nhola\n", encoding="utf-8")
            (folder / f"{cid}_step1_temp.mp4").write_bytes(b"partial")
    if side_files:
        (video_dir / ".DS_Store").write_bytes(b"\0\0\0\1Bud1")
        (video_dir / "temp_reframed_1.mp4").write_bytes(b"")
        (video_dir / "demo_short.mp4").write_bytes(mp4_bytes("short"))
        (video_dir / ".cache").mkdir(exist_ok=True)
        (video_dir / ".cache" / "1.mp4").write_bytes(b"")
    entries = []
    for cid in ids:
        if cid in uncaptioned:
            continue
        text = (captions or {}).get(cid, caption_for(cid))
        viral, engagement = (scores or {}).get(cid, (None, None))
        entries.append({"clip_id": cid, caption_key: text, "opening_words": "", "opening_words_used": False,
                        "speaker_hashtags_provided": [], "metadata": metadata_for(cid, viral, engagement)})
        ws.captions[cid] = text
    if write_copys:
        write_copys_file(ws, entries, total=len(ids), missing=sorted(set(uncaptioned)),
                         generation_metadata=generation_metadata)
    temp = root / "temp"
    temp.mkdir(exist_ok=True)
    state_path = temp / "project_state.json"
    state = json.loads(state_path.read_text(encoding="utf-8")) if state_path.exists() else {}
    state[video_id] = {"filename": f"{video_id}.mp4", "downloaded": True, "transcribed": True,
                       "clips_generated": True, "clips_exported": True,
                       "exported_clips": [str(p.relative_to(root)) for p in ws.clips.values()]}
    state_path.write_text(json.dumps(state, indent=2, ensure_ascii=False), encoding="utf-8")
    return ws


def write_copys_file(ws: CliperWorkspace, entries: list[dict], *, total: int, missing: list[int],
                     generation_metadata: bool = True) -> None:
    """`copys/clips_copys.json` as CLIPER writes it (indent 2, UTF-8, no final newline)."""
    doc = {
        "video_id": ws.video_id,
        "generated_at": "2026-03-24 18:42:07.518204",
        "model": "gemini-2.5-flash",
        "total_clips": len(entries),
        "style": "auto-classified",
        "average_engagement": 8.0,
        "average_viral_potential": 7.5,
        "clips": entries,
        "classification_metadata": {"classifications": [], "distribution": {}},
    }
    if generation_metadata:
        doc["generation_metadata"] = {
            "incomplete": bool(missing), "total_clips": total, "generated_clips": len(entries),
            "success_rate": round(len(entries) / total, 2) if total else 1.0, "missing_clips": missing,
            "note": "Partial generation - some batches failed during processing" if missing else "Complete generation",
        }
    ws.copys.parent.mkdir(parents=True, exist_ok=True)
    ws.copys.write_text(json.dumps(doc, indent=2, ensure_ascii=False), encoding="utf-8")
