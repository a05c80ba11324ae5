"""Helpers for tests that need a Postiz: the sandbox in-thread or as a real process.

    from support.sandbox import running_sandbox, SandboxProcess, Controls

    with running_sandbox(tmp_path) as sb:           # SandboxServer on a free port
        client = PostizClient(sb.api_url, sb.api_key)
        Controls(sb.base_url).advance(3600)

    proc = SandboxProcess(tmp_path / "sb.db").start()  # `cliper-sched sandbox`
    proc.kill(); proc.start()                          # SIGKILL, restart on the same db and port
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests

from planner.sandbox.controls import Controls
from planner.sandbox.server import SandboxServer
from support.cli import argv as cliper_sched

TEST_KEY = "0" * 63 + "1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def running_sandbox(tmp_path: Path, *, api_key: str = TEST_KEY, limit: int = 30, channels=None,
                    compat: str = "main", db_name: str = "sandbox.db") -> Iterator[SandboxServer]:
    """A SandboxServer in this process on a free port with a db under `tmp_path`."""
    server = SandboxServer(Path(tmp_path) / db_name, api_key=api_key, limit=limit,
                           channels=channels, compat=compat)
    server.find_slot_hang_seconds = 0.2  # keep tests fast
    with server:
        yield server


class PublicApi:
    """Plain authenticated HTTP against the sandbox's public API (no client code involved)."""

    def __init__(self, sb, api_key: str = TEST_KEY):
        self.sb = sb
        self.base = sb.api_url + "/public/v1"
        self.http = requests.Session()
        self.http.headers["Authorization"] = api_key
        self.controls = Controls(sb.base_url)
        self.channels = {c["name"]: c["id"] for c in self.get("/integrations").json()}

    def get(self, path, **kw):
        return self.http.get(self.base + path, timeout=10, **kw)

    def post(self, path, **kw):
        return self.http.post(self.base + path, timeout=10, **kw)

    def put(self, path, **kw):
        return self.http.put(self.base + path, timeout=10, **kw)

    def delete(self, path, **kw):
        return self.http.delete(self.base + path, timeout=10, **kw)

    def create(self, *entries, date="2030-01-01T10:00:00.000Z", type="schedule", **extra):
        body = {"type": type, "date": date, "shortLink": False, "tags": [], "posts": list(entries), **extra}
        if type is None:
            del body["type"]
        return self.post("/posts", json=body)

    def entry(self, channel="linkedin-page", content="hello", image=None, settings=None, **extra):
        return {"integration": {"id": self.channels.get(channel, channel)},
                "value": [{"content": content, "image": image or []}],
                "settings": settings if settings is not None else {}, **extra}

    def listing(self, start="2029-01-01T00:00:00Z", end="2031-01-01T00:00:00Z", **params):
        response = self.get("/posts", params={"startDate": start, "endDate": end, **params})
        assert response.status_code == 200, response.text
        return response.json()["posts"]

    def by_id(self, **kw):
        return {p["id"]: p for p in self.listing(**kw)}


class SandboxProcess:
    """`cliper-sched sandbox` as a child process, killable and restartable on one db."""

    def __init__(self, db_path: Path, *, api_key: str = TEST_KEY, limit: int = 30,
                 channels: list[str] | None = None, compat: str = "main", port: int | None = None):
        self.db_path = Path(db_path)
        self.api_key, self.limit, self.channels, self.compat = api_key, limit, channels or [], compat
        self.port = port or free_port()
        self.proc: subprocess.Popen | None = None
        self.log = self.db_path.with_suffix(".log")

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/api"

    @property
    def controls(self) -> Controls:
        return Controls(self.base_url)

    def start(self, timeout: float = 15) -> SandboxProcess:
        args = [*cliper_sched(), "sandbox", "--port", str(self.port), "--db",
                str(self.db_path), "--api-key", self.api_key, "--limit", str(self.limit),
                "--compat", self.compat, "--quiet"]
        for channel in self.channels:
            args += ["--channel", channel]
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT,
                                         env={**os.environ, "NO_COLOR": "1"})
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"sandbox exited with {self.proc.returncode}: {self.log.read_text()}")
            try:
                requests.get(self.base_url + "/_sandbox/clock", timeout=1)
                return self
            except requests.ConnectionError:
                time.sleep(0.05)
        self.kill()
        raise RuntimeError(f"sandbox did not answer within {timeout}s: {self.log.read_text()}")

    def kill(self) -> None:
        """SIGKILL: no cleanup, like a crash."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=10)
        self.proc = None

    def stop(self) -> int | None:
        """Ctrl-C: the clean way."""
        if not self.proc:
            return None
        self.proc.send_signal(signal.SIGINT)
        code = self.proc.wait(timeout=10)
        self.proc = None
        return code

    def __enter__(self) -> SandboxProcess:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.kill()
