"""Regenerate the example CLIPER workspace in examples/cliper-workspace/.

Not needed to use the example (it is committed); kept so anyone can see how it
was made and rebuild it. Needs ffmpeg through imageio-ffmpeg, which is not a
project dependency:

    pip install imageio-ffmpeg && python examples/make_example.py

Every clip is a real 1-second 90x160 (9:16) H.264 video of a few KB, each a
different picture, laid out exactly as CLIPER writes it (numeric clip names,
copys/clips_copys.json with captions and metadata, temp/ state files).
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import imageio_ffmpeg

HERE = Path(__file__).resolve().parent
VIDEO_ID = "Tech Tertulia Ep 03 - Git sin dolor_Qw3-rTy9_oP"
WORKSPACE = HERE / "cliper-workspace"

CLIPS = [
    # (caption, viral_potential, engagement_score, sentiment, topics)
    ("¿Hiciste un commit en la rama equivocada? 😅 git switch -c + git reset y listo, sin perder nada #Git #TechTertulia",
     8.6, 9.0, "curious_educational", ["git", "ramas"]),
    ("Rebase o merge: la respuesta corta es «depende» y aquí te explicamos de qué 🔀 #Git #DevTips",
     7.1, 8.1, "educational", ["rebase", "merge"]),
    ("El commit que borró producción 💥 y cómo git reflog nos salvó el viernes a las 6 pm #Git #TechTertulia",
     9.3, 9.4, "storytelling", ["reflog", "incidentes"]),
    ("Mensajes de commit que tu yo del futuro va a agradecer ✍️ Tres reglas simples #BuenasPrácticas #Git",
     6.8, 7.6, "relatable", ["commits", "buenas prácticas"]),
    ("git bisect encuentra el commit culpable en minutos 🕵️ aunque tengas 2.000 commits #Debugging #Git",
     8.1, 8.7, "educational", ["bisect", "debugging"]),
]
HUES = [0, 70, 140, 210, 280]


def make_clip(path: Path, hue: int, n: int) -> None:
    ffmpeg = imageio_ffmpeg.get_ffmpeg_exe()
    subprocess.run([
        ffmpeg, "-y", "-loglevel", "error",
        "-f", "lavfi", "-i", f"testsrc2=size=90x160:rate=10:duration=1,hue=h={hue}",
        "-c:v", "libx264", "-preset", "veryslow", "-crf", "38", "-pix_fmt", "yuv420p",
        "-metadata", f"title=cliper-sched example clip {n}", "-map_metadata", "-1",
        "-fflags", "+bitexact", "-flags:v", "+bitexact", str(path),
    ], check=True)


def main() -> None:
    out = WORKSPACE / "output" / VIDEO_ID
    (out / "copys").mkdir(parents=True, exist_ok=True)
    (WORKSPACE / "temp").mkdir(exist_ok=True)
    entries, timeline = [], []
    for n, (caption, viral, engagement, sentiment, topics) in enumerate(CLIPS, start=1):
        make_clip(out / f"{n}.mp4", HUES[n - 1], n)
        entries.append({
            "clip_id": n, "copy": caption, "opening_words": "", "opening_words_used": False,
            "speaker_hashtags_provided": [],
            "metadata": {"sentiment": sentiment, "sentiment_score": 0.75, "engagement_score": engagement,
                         "suggested_thumbnail_timestamp": 0.5, "primary_topics": topics,
                         "hook_strength": "high", "viral_potential": viral},
        })
        start = 40.0 + 70 * (n - 1)
        timeline.append({"clip_id": n, "start_time": start, "end_time": start + 55.5, "duration": 55.5,
                         "text_preview": caption[:100], "full_text": caption, "method": "clipsai"})
    copys = {
        "video_id": VIDEO_ID, "generated_at": "2026-03-28 10:15:42.120934", "model": "gemini-2.5-flash",
        "total_clips": len(entries), "style": "auto-classified",
        "average_engagement": round(sum(c[2] for c in CLIPS) / len(CLIPS), 2),
        "average_viral_potential": round(sum(c[1] for c in CLIPS) / len(CLIPS), 2),
        "clips": entries,
        "classification_metadata": {
            "classifications": [{"clip_id": n, "style": "educational", "confidence": 0.8,
                                 "reason": "Explica un comando de Git paso a paso."} for n in range(1, 6)],
            "distribution": {"viral": 0, "educational": 5, "storytelling": 0}},
        "generation_metadata": {"incomplete": False, "total_clips": 5, "generated_clips": 5,
                                "success_rate": 1.0, "missing_clips": [], "note": "Complete generation"},
    }
    # CLIPER writes indent=2, ensure_ascii=False and no trailing newline.
    (out / "copys" / "clips_copys.json").write_text(json.dumps(copys, indent=2, ensure_ascii=False), encoding="utf-8")
    clips_json = {"video_id": VIDEO_ID, "num_clips": 5, "min_clip_duration": 30, "max_clip_duration": 90,
                  "clips": timeline}
    (WORKSPACE / "temp" / f"{VIDEO_ID}_clips.json").write_text(json.dumps(clips_json, indent=2, ensure_ascii=False),
                                                              encoding="utf-8")
    state = {VIDEO_ID: {"filename": f"{VIDEO_ID}.mp4", "downloaded": True, "transcribed": True,
                        "transcription_path": f"temp/{VIDEO_ID}_transcript.json",
                        "transcript_path": f"temp/{VIDEO_ID}_transcript.json", "clips": timeline,
                        "clips_generated": True, "clips_metadata_path": f"temp/{VIDEO_ID}_clips.json",
                        "clips_exported": True,
                        "exported_clips": [f"output/{VIDEO_ID}/{n}.mp4" for n in range(1, 6)],
                        "export_aspect_ratio": "9:16", "content_type": "podcast", "preset": {},
                        "last_updated": "2026-03-28 10:15:42"}}
    (WORKSPACE / "temp" / "project_state.json").write_text(json.dumps(state, indent=2, ensure_ascii=False),
                                                           encoding="utf-8")
    print(f"wrote {WORKSPACE}")


if __name__ == "__main__":
    main()
