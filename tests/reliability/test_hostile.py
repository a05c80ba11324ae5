"""A pull request or a misbehaving server can't hurt the user.

- A clip swapped on disk after the changes were reviewed (while apply's question
  waits) is never uploaded nor posted: the bytes hashed are the bytes sent.
- A server or proxy that drips its answer cannot hold a command (and the plan's
  lock) longer than --timeout; a dripping answer to a create is read back, never
  re-sent.
- An answer bigger than the client's cap is refused before it fills the memory.
- A 429 is a block whatever its body (an nginx page, nothing at all): recorded,
  and no counted request is sent into it, in this run or the next.

Everything runs the installed CLI against a sandbox behind `support.hostile`'s
proxy on 127.0.0.1. Each case counts into docs/reliability.md (attacks tried and
refused, by kind).
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from reliability.figures import record
from reliability.harness import Box, base_env, duplicates

from support.cli import Terminal, argv
from support.cli import run as run_cli
from support.hostile import HostileProxy, drip, flood, too_many
from support.workspaces import make_workspace, mp4_bytes

CHANNELS = "tiktok-main,youtube-shorts"
POSTS = "/api/public/v1/posts"
MIB = 1024 * 1024


@dataclass
class World:
    root: Path
    box: Box
    proxy: HostileProxy
    plan: Path
    clips: dict[int, Path]
    captions: dict[int, str]

    def env(self, **extra: str) -> dict[str, str]:
        return {**base_env(self.root), "POSTIZ_API_URL": self.proxy.api_url, "POSTIZ_API_KEY": self.box.api_key,
                "CLIPER_SCHED_SETTLE_SECONDS": "1", **extra}

    def cli(self, *args: str, timeout: float = 120, **extra: str):
        return run_cli(*args, env=self.env(**extra), timeout=timeout)

    def cache(self) -> dict:
        [path] = (self.root / "cache").glob("budget-*.json")
        return json.loads(path.read_text("utf-8"))


@pytest.fixture
def world(tmp_path):
    from planner.sandbox.server import SandboxServer

    server = SandboxServer(tmp_path / "sandbox" / "sandbox.db", limit=1000).start()
    box = Box(server.base_url, server.api_key, server)
    proxy = HostileProxy(server.base_url)
    try:
        ws = make_workspace(tmp_path / "ws", clips=3)
        plan = tmp_path / "plans" / "ep12.yaml"
        made = run_cli("plan", str(ws.root), "--start", "2031-01-05 09:00", "--interval", "2h", "--channels",
                       CHANNELS, "--timezone", "UTC", "--name", "ep12", "-o", str(plan), env=base_env(tmp_path))
        assert made.exit_code == 0, made.error
        yield World(tmp_path, box, proxy, plan, dict(ws.clips), dict(ws.captions))
    finally:
        proxy.close()
        server.stop()


def _attack(kind: str, tried: int = 1) -> None:
    record("attacks_tried", tried, kind=kind)


def _refused(kind: str, refused: int = 1) -> None:
    record("attacks_refused", refused, kind=kind)


def _uploads(world: World) -> list[bytes]:
    folder = world.root / "sandbox" / "sandbox-uploads"
    return [p.read_bytes() for p in folder.rglob("*") if p.is_file()]


# -- 1. the bytes hashed are the bytes sent ----------------------------------------------------


def test_a_clip_swapped_while_apply_waits_for_yes_is_neither_uploaded_nor_posted(world):
    _attack("media swapped after review")
    swapped = mp4_bytes("not the reviewed clip: swapped in after the diff was read")
    clip = world.clips[2]
    term = Terminal("apply", str(world.plan), "--rate-limit", "1000/h", env=world.env())
    term.wait_for("Enter a value")
    clip.write_bytes(swapped)  # e.g. a sync client, or a co-worker's checkout, while the user reads
    term.type("yes\n")
    result = term.finish()
    text = result.output + result.error
    assert "Traceback" not in text, text
    assert result.exit_code == 4, text
    assert f"{clip.parent.name}/{clip.name}: the file changed since it was reviewed" in text, text
    rows = world.box.rows()
    assert not [r for r in rows if r["content"] == world.captions[2]], "a post of the swapped clip exists"
    assert sorted(r["content"] for r in rows) == sorted([world.captions[1], world.captions[3]] * 2)
    assert swapped not in _uploads(world), "the swapped bytes reached Postiz"
    assert len(_uploads(world)) == 2
    # The file is uploaded (and refused) once, not once per channel that uses it.
    assert world.proxy.count("POST", "/api/public/v1/upload") == 3
    state = json.loads(world.plan.with_name("ep12.state.json").read_text("utf-8"))
    assert not [a for a in state["posts"] if a.startswith("clip-02")], state["posts"]
    _refused("media swapped after review")


# -- 2. a cap on what a server may answer -----------------------------------------------------


@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "streamed"])
def test_an_answer_bigger_than_the_cap_is_refused_before_it_fills_the_memory(world, declared):
    _attack("oversized answer")
    size = 1024 * MIB if declared else 200 * MIB
    world.proxy.on("GET", "/api/public/v1/integrations", flood(size=size, declare=declared))
    code, text, peak_mib = _run_measured(world, "diff", str(world.plan))
    assert "Traceback" not in text, text
    assert code == 1, text
    assert "GET" in text and "/integrations" in text and "32 MiB" in text, text
    assert peak_mib < 150, f"{peak_mib:.0f} MiB of memory for a refused answer"
    _refused("oversized answer")


# Spawns the command from a small process of its own and reports its exit code and peak
# memory. Spawned straight from the test worker, the child's ru_maxrss would start at the
# worker's own resident size (Linux keeps the high-water mark of the memory image an exec
# replaces, and a vfork child's image is the worker's): 150 MiB and more in a long run.
_MEASURE = (
    "import os, sys\n"
    "pid = os.posix_spawn(sys.argv[2], sys.argv[2:], os.environ)\n"
    "_, status, usage = os.wait4(pid, 0)\n"
    "open(sys.argv[1], 'w').write(f'{os.waitstatus_to_exitcode(status)} {usage.ru_maxrss}')\n"
)


def _run_measured(world: World, *args: str, timeout: float = 120) -> tuple[int, str, float]:
    """Run the CLI; its exit code, its output, and its own peak resident memory in MiB
    (the rusage of that one process, from wait4 in a small launcher)."""
    out_path, err_path = world.root / "measured.out", world.root / "measured.err"
    result = world.root / "measured.rusage"
    with out_path.open("wb") as out, err_path.open("wb") as err:
        launcher = subprocess.Popen([sys.executable, "-c", _MEASURE, str(result), *argv(*args)],
                                    env={**os.environ, **world.env()}, stdout=out, stderr=err,
                                    start_new_session=True)
    try:
        launcher.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(launcher.pid, signal.SIGKILL)
        launcher.wait()
        pytest.fail(f"cliper-sched {' '.join(args)} still ran after {timeout} s")
    code, maxrss_kib = result.read_text("utf-8").split()
    text = out_path.read_text("utf-8", errors="replace") + err_path.read_text("utf-8", errors="replace")
    return int(code), text, int(maxrss_kib) / 1024


# -- 3. one deadline for a whole request --------------------------------------------------------


@pytest.mark.parametrize("where", ["headers", "body"])
def test_a_dripping_answer_ends_the_command_at_the_deadline(world, where):
    _attack("dripping answer")
    world.proxy.on("GET", "/api/public/v1/integrations", drip(every=0.5, limit=40, where=where))
    started = time.monotonic()
    result = world.cli("diff", str(world.plan), POSTIZ_TIMEOUT="2")
    elapsed = time.monotonic() - started
    text = result.output + result.error
    assert "Traceback" not in text, text
    assert result.exit_code == 1, text
    assert "GET" in text and "/integrations" in text and "within 2 s" in text, text
    assert elapsed < 2 + 8, f"diff took {elapsed:.1f} s with --timeout 2"
    _refused("dripping answer")


def test_a_create_whose_answer_drips_is_read_back_never_sent_twice(world):
    _attack("dripping answer to a create")
    world.proxy.on("POST", POSTS, drip(every=0.5, limit=40, forward=True), times=1)
    started = time.monotonic()
    result = world.cli("apply", str(world.plan), "--auto-approve", "--rate-limit", "1000/h", POSTIZ_TIMEOUT="2")
    elapsed = time.monotonic() - started
    text = result.output + result.error
    assert "Traceback" not in text, text
    assert result.exit_code in (0, 4), text
    assert "POST" in text and "/posts" in text and "within 2 s" in text, text
    assert elapsed < 30, f"apply took {elapsed:.1f} s"
    assert duplicates(world.box) == []
    # One counted request per instant (3 clips at 3 instants), the dripped one never re-sent.
    assert world.proxy.count("POST", POSTS) == 3
    again = world.cli("apply", str(world.plan), "--auto-approve", "--rate-limit", "1000/h")
    assert again.exit_code == 0, again.output + again.error
    assert world.proxy.count("POST", POSTS) == 3
    assert sorted(r["content"] for r in world.box.rows()) == sorted(list(world.captions.values()) * 2)
    assert duplicates(world.box) == []
    _refused("dripping answer to a create")


# -- 4. a 429 is a block whatever its body -------------------------------------------------------


@pytest.mark.parametrize("answer, block", [
    (too_many(), 3600),  # nginx's HTML page, no Retry-After: assume Postiz's hour
    (too_many(body=b"", content_type=None), 3600),  # nothing at all
    (too_many(body=b"slow down", content_type="text/plain", retry_after="120"), 120),
], ids=["nginx-html", "empty", "text-retry-after"])
def test_a_429_that_is_not_postiz_json_blocks_and_the_rerun_sends_nothing(world, answer, block):
    _attack("non-JSON 429")
    world.proxy.on("POST", POSTS, answer)
    first = world.cli("apply", str(world.plan), "--auto-approve", "--no-wait", "--rate-limit", "1000/h")
    text = first.output + first.error
    assert "Traceback" not in text, text
    assert first.exit_code == 3, text
    assert "Stopped: the rate-limit budget is spent." in first.output, text
    assert world.proxy.count("POST", POSTS) == 1
    blocked_until = datetime.fromisoformat(world.cache()["blocked_until"])
    left = (blocked_until - datetime.now(UTC)).total_seconds()
    assert block - 30 < left <= block + 1, world.cache()
    said = re.search(r"after (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)", first.output)
    assert said, first.output  # the time to re-run, in local time
    shown = datetime.strptime(said.group(1), "%Y-%m-%d %H:%M:%S").astimezone()
    assert abs((shown - blocked_until).total_seconds()) <= 2, (said.group(1), blocked_until)
    # The re-run knows the block and refuses before sending anything counted.
    again = world.cli("apply", str(world.plan), "--auto-approve", "--no-wait", "--rate-limit", "1000/h")
    assert again.exit_code == 3, again.output + again.error
    assert world.proxy.count("POST", POSTS) == 1
    assert world.box.control("GET", "ratelimit")["hits"] == 0  # Postiz itself never counted anything
    _refused("non-JSON 429")
