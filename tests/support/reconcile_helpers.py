"""Helpers shared by the reconciler tests: run the CLI, build plan files, drive the sandbox."""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path

import yaml

from planner.sandbox.controls import Controls
from support import cli
from support.cli import Result  # noqa: F401  (re-exported for the tests)

# A minimal ISO-BMFF file: enough for Postiz's (and the sandbox's) content sniffing.
MP4 = (b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00isomiso2avc1mp41"
       b"\x00\x00\x00\x08free\x00\x00\x00\x10mdat" + b"\x00" * 8)

FUTURE = "2031-03-0{day}T{hour:02d}:00:00-06:00"


def at(day: int, hour: int) -> str:
    return FUTURE.format(day=day, hour=hour)


class Sandbox:
    """A started SandboxServer plus the test controls under /_sandbox/."""

    def __init__(self, server):
        self.server = server
        self.controls = Controls(server.base_url)

    def __getattr__(self, name):
        return getattr(self.server, name)

    def control(self, method: str, path: str, body: dict | None = None):
        return self.controls.call(method, path, body)

    def posts(self, include_deleted: bool = False) -> list[dict]:
        return self.controls.rows() if include_deleted else self.controls.live_rows()

    def hits(self) -> int:
        return self.controls.hits()

    def fault(self, **spec) -> None:
        self.controls.add_fault(**spec)


def run(*args: str, input: str | None = None) -> Result:
    """The installed `cliper-sched ARGS` in a fresh process (stdin not a terminal)."""
    return cli.run(*args, input=input)


def run_subprocess(*args: str, env: dict | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
    return cli.completed(*args, env=env, timeout=timeout)


class PlanFile:
    """A plan file a user would write: edited through `.doc` and saved with `.save()`."""

    def __init__(self, root: Path, posts: int = 3, channels=("tiktok-main", "x-main"), name: str = "ep12"):
        self.root = root
        self.path = root / "plans" / f"{name}.yaml"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.workspace = root / "ws"
        self.doc = {
            "version": 1,
            # The plan's identity in Postiz's markers: one per plan file, as `plan` writes it.
            "id": "t" + hashlib.sha256(str(self.path).encode()).hexdigest()[:15],
            "name": name,
            "timezone": "America/Mexico_City",
            "source": {"workspace": "../ws", "video": "ep12"},
            "posts": [self.post(i + 1, channels) for i in range(posts)],
        }
        self.save()

    def media(self, n: int) -> dict:
        video = self.workspace / "output" / "ep12" / f"{n}.mp4"
        video.parent.mkdir(parents=True, exist_ok=True)
        data = MP4 + n.to_bytes(4, "big")
        video.write_bytes(data)
        return {"path": f"output/ep12/{n}.mp4", "sha256": hashlib.sha256(data).hexdigest()}

    def post(self, n: int, channels=("tiktok-main", "x-main")) -> dict:
        return {"key": f"clip-{n:02d}", "clip": n, "media": self.media(n),
                "caption": f"Clip {n}: bases de datos sin miedo #shorts",
                "at": at(1 + (n - 1) // 12, 8 + (n - 1) % 12), "channels": list(channels)}

    def save(self) -> None:
        self.path.write_text("# test plan\n" + yaml.safe_dump(self.doc, sort_keys=False, allow_unicode=True))

    def __str__(self) -> str:
        return str(self.path)

    @property
    def state_path(self) -> Path:
        return self.path.with_name(self.path.name.replace(".yaml", ".state.json"))

    def state(self) -> dict:
        return json.loads(self.state_path.read_text())
