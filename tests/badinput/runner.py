"""Set up one bad-input case from manifest.yaml in a temp folder and run it.

Layout of a case folder, as a user's repository would have it:
    ws/                 a CLIPER workspace (5 clips of video ep12_AbCdEfGhIjK)
    plans/ep12.yaml     the case's plan file (when it has one)
    rules.yaml          the case's rules file (when it has one)
Placeholders in the command: {plan}, {rules}, {ws}.
`special` puts something that is not a regular file where the plan, the rules or
the state file goes (`dev-zero`, `dev-urandom`: a link to the device; `fifo`; `huge`:
a sparse file over the size cap), as a pull request can.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
import struct
from dataclasses import dataclass, field
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
VIDEO = "ep12_AbCdEfGhIjK"


@dataclass
class Case:
    id: str
    command: list[str]
    expect: dict
    about: str = ""
    input: str | None = None
    rules: str | None = None
    workspace: list[str] = field(default_factory=list)  # mutations, see `damage`
    sandbox: bool = False
    xfail: str | None = None
    memory_mb: int | None = None
    special: dict[str, str] = field(default_factory=dict)  # plan | rules | state -> kind, see `put_special`
    timeout: int | None = None  # seconds before the run is killed (SIGALRM): a hang fails, never blocks

    @property
    def exit(self) -> int:
        return int(self.expect.get("exit", 1))


def load_cases() -> list[Case]:
    data = yaml.safe_load((HERE / "manifest.yaml").read_text("utf-8"))
    return [Case(**entry) for entry in data["cases"]]


def build(case: Case, root: Path) -> dict[str, str]:
    """Create the case folder; return the placeholder values."""
    from support.workspaces import make_workspace

    ws = make_workspace(root / "ws", video_id=VIDEO, clips=5)
    for mutation in case.workspace:
        damage(ws.video_dir, mutation)
    values = {"ws": str(root / "ws")}
    if case.input:
        plan = root / "plans" / "ep12.yaml"
        plan.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(HERE / case.input, plan)
        values["plan"] = str(plan)
    if case.rules:
        shutil.copyfile(HERE / case.rules, root / "rules.yaml")
        values["rules"] = str(root / "rules.yaml")
    places = {"plan": root / "plans" / "ep12.yaml", "rules": root / "rules.yaml",
              "state": root / "plans" / "ep12.state.json"}
    for which, kind in case.special.items():
        put_special(places[which], kind)
        values.setdefault(which, str(places[which]))
    return values


def put_special(path: Path, kind: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    if kind in ("dev-zero", "dev-urandom"):
        path.symlink_to("/dev/zero" if kind == "dev-zero" else "/dev/urandom")
    elif kind == "fifo":
        os.mkfifo(path)
    elif kind == "huge":
        with open(path, "wb") as fh:  # sparse: no disk used
            fh.write(b"version: 1\n")
            fh.truncate(17 * 1024 * 1024)
    else:
        raise ValueError(f"unknown special file {kind!r}")


def damage(video_dir: Path, mutation: str) -> None:
    copys = video_dir / "copys" / "clips_copys.json"
    if mutation == "truncated-copys":
        text = copys.read_text("utf-8")
        copys.write_text(text[: len(text) // 2], "utf-8")
    elif mutation == "zero-byte-video":
        (video_dir / "2.mp4").write_bytes(b"")
    elif mutation == "duplicate-clip-ids":
        doc = json.loads(copys.read_text("utf-8"))
        doc["clips"][2]["clip_id"] = doc["clips"][1]["clip_id"]
        copys.write_text(json.dumps(doc, ensure_ascii=False, indent=2), "utf-8")
    elif mutation == "binary-copys":
        copys.write_bytes(hashlib.sha512(b"junk").digest() * 40 + b"\xff\xfe\x00")
    elif mutation == "clips-not-a-list":
        doc = json.loads(copys.read_text("utf-8"))
        doc["clips"] = {"1": doc["clips"][0]}
        copys.write_text(json.dumps(doc, ensure_ascii=False, indent=2), "utf-8")
    elif mutation == "no-output":
        shutil.rmtree(video_dir.parent)
    elif mutation == "text-video":
        (video_dir / "3.mp4").write_text("this is not a video\n", "utf-8")
    elif mutation == "huge-video":
        # 1.2 GB (sparse: no disk used) starting like an MP4: over Postiz's 1 GB upload limit.
        with open(video_dir / "huge.mp4", "wb") as fh:
            fh.write(struct.pack(">I4s", 24, b"ftyp") + b"isom\x00\x00\x02\x00isomiso2")
            fh.truncate(1200 * 1024 * 1024)
    elif mutation == "text-file":
        (video_dir / "2.txt").write_text("subtítulos, no un vídeo\n", "utf-8")
    elif mutation == "clip-link-outside":
        # A private video beside the workspace (the case folder stands for the user's home).
        private = video_dir.parents[2] / "private" / "holiday.mp4"
        private.parent.mkdir(parents=True, exist_ok=True)
        private.write_bytes((video_dir / "3.mp4").read_bytes() + b"private")
        (video_dir / "3.mp4").unlink()
        (video_dir / "3.mp4").symlink_to(private)
    elif mutation == "copys-fifo":
        copys.unlink()
        os.mkfifo(copys)
    elif mutation == "copys-dev-zero":
        copys.unlink()
        copys.symlink_to("/dev/zero")
    else:
        raise ValueError(f"unknown workspace mutation {mutation!r}")


def snapshot(root: Path) -> dict[str, tuple[int, str]]:
    """Every file under root: size and sha256 (sparse huge files: size and mtime; a link,
    a FIFO or a device: what it is, never read).

    The empty `<plan>.state.json.lock` a Postiz-facing command leaves beside the
    plan is filelock's, not a change of content: it is left out.
    """
    out = {}
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            if name.endswith(".state.json.lock"):
                continue
            path = Path(dirpath) / name
            st = path.lstat()
            if stat.S_ISLNK(st.st_mode):
                out[str(path.relative_to(root))] = (-1, "link to " + os.readlink(path))
            elif not stat.S_ISREG(st.st_mode):
                out[str(path.relative_to(root))] = (-1, stat.filemode(st.st_mode))
            elif st.st_size > 50 * 1024 * 1024:
                out[str(path.relative_to(root))] = (st.st_size, str(st.st_mtime_ns))
            else:
                out[str(path.relative_to(root))] = (st.st_size, hashlib.sha256(path.read_bytes()).hexdigest())
    return out
