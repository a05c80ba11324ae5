"""Benchmark of the reconciler against an in-process sandbox (high rate limit).

    python bench/bench_apply.py            # plans of 1,000 and 10,000 posts
    python bench/bench_apply.py 2000       # other sizes

For each size it prints: counted requests of the first apply against the
minimum possible (one per distinct time), the requests of a no-op re-apply
(counted must be 0), counted requests for editing 1% of the captions against
their minimum, and the time and peak memory of computing the diff.
Figures only; nothing is asserted.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from planner.postiz.budget import RateBudget  # noqa: E402
from planner.postiz.client import PostizClient  # noqa: E402
from planner.reconcile.executor import Reporter  # noqa: E402
from planner.reconcile.runner import Runner  # noqa: E402
from planner.sandbox.server import SandboxServer  # noqa: E402

POSTS_PER_SLOT = 4  # several posts share a time, as a burst schedule does
# Two channels a post, no media needed (measures the reconciler, not uploads); the posts
# of one slot go to different channels, since one channel takes one post a minute.
CHANNELS_PER_POST = 2
SANDBOX_CHANNELS = [(provider, f"{provider}-{j}") for j in range(POSTS_PER_SLOT) for provider in ("x", "linkedin")]


def write_plan(path: Path, n: int, caption_suffix: dict[int, str] | None = None) -> int:
    start = datetime(2031, 1, 1, tzinfo=UTC)
    posts = []
    for i in range(n):
        at = start + timedelta(minutes=30 * (i // POSTS_PER_SLOT))
        extra = (caption_suffix or {}).get(i, "")
        posts.append({"key": f"clip-{i:05d}", "caption": f"Clip {i}: bases de datos sin miedo #shorts{extra}",
                      "at": at.isoformat(), "channels": [f"x-{i % POSTS_PER_SLOT}", f"linkedin-{i % POSTS_PER_SLOT}"]})
    doc = {"version": 1, "id": "pbench000000001", "name": "bench", "timezone": "UTC", "posts": posts}
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return len({p["at"] for p in posts})


class Counter:
    def __init__(self, client: PostizClient):
        self.total = self.counted = 0
        client.session.hooks["response"].append(self)

    def __call__(self, resp, *args, **kwargs):
        self.total += 1
        if resp.request.method == "POST" and resp.request.path_url.endswith("/public/v1/posts"):
            self.counted += 1

    def take(self) -> tuple[int, int]:
        out = (self.total, self.counted)
        self.total = self.counted = 0
        return out


def apply(plan_path: Path, client: PostizClient) -> tuple[float, object]:
    started = time.perf_counter()
    _, result = Runner(client, [plan_path]).apply(show=lambda run: None, approve=lambda run: None,
                                                  reporter=Reporter(), wait=False, settle=time.sleep,
                                                  save_budget=lambda: None)
    return time.perf_counter() - started, result


def bench(n: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        os.environ["CLIPER_SCHED_CACHE_DIR"] = str(tmp / "cache")
        server = SandboxServer(tmp / "sandbox.db", limit=10**9, channels=SANDBOX_CHANNELS).start()
        try:
            client = PostizClient(server.api_url, server.api_key, budget=RateBudget(10**9))
            count = Counter(client)
            plan_path = tmp / "bench.yaml"
            slots = write_plan(plan_path, n)

            seconds, result = apply(plan_path, client)
            total, counted = count.take()
            print(f"posts={n} channel posts={n * CHANNELS_PER_POST} distinct times={slots}")
            print(f"  first apply: counted requests {counted} (minimum {slots}), all requests {total}, "
                  f"{result.added} added in {seconds:.1f}s")

            seconds, result = apply(plan_path, client)
            total, counted = count.take()
            print(f"  no-op re-apply: counted requests {counted} (must be 0), all requests {total}, {seconds:.2f}s")

            edited = {i: " (edited)" for i in range(0, n, 100)}
            write_plan(plan_path, n, edited)
            seconds, result = apply(plan_path, client)
            total, counted = count.take()
            minimum = len({i // POSTS_PER_SLOT for i in edited})
            print(f"  edit 1% of captions: counted requests {counted} (minimum {minimum}), "
                  f"{result.changed} changed in {seconds:.1f}s")

            started = time.perf_counter()
            review = Runner(client, [plan_path]).diff()
            diff_seconds = time.perf_counter() - started
            tracemalloc.start()  # separately: tracing slows the code it measures
            Runner(client, [plan_path]).diff()
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            assert not review.has_changes
            print(f"  diff (load plan + state, refresh, compare): {diff_seconds:.2f}s, "
                  f"peak memory {peak / 2**20:.1f} MiB (tracemalloc)")
        finally:
            server.stop()


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[1000, 10000],
                        help="plan sizes in posts (default: 1000 10000)")
    for n in parser.parse_args(argv).sizes:
        bench(n)


if __name__ == "__main__":
    main(sys.argv[1:])
