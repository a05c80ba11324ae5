"""Benchmark of the Postiz client against the sandbox, both on 127.0.0.1.

    python bench/bench_client.py [--posts 10000] [--creates 300] [--batch 100]

The sandbox runs in a child process so client and server memory are measured
apart. Prints requests/second and posts/second for creating posts (one per
request and batched, as apply does), for listing all of them and for a streamed
upload, with the client's peak Python allocation (tracemalloc) and, after each
step, the peak RSS of both processes so far (the server's growth during the
upload shows whether it buffers the file). Figures only; nothing is asserted.
"""

from __future__ import annotations

import argparse
import resource
import socket
import subprocess
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path

import requests

from planner.postiz.client import PostizClient
from planner.postiz.models import PostEntry

KEY = "bench-key"
SERVER = """
import sys, time
from planner.sandbox.server import SandboxServer
server = SandboxServer(sys.argv[1], api_key=sys.argv[2], limit=10**9, port=int(sys.argv[3]),
                       channels=[("linkedin", "bench-linkedin"), ("threads", "bench-threads")])
server.start()
print("ready", flush=True)
sys.stdin.read()  # run until the benchmark closes our stdin
server.stop()
import resource
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, flush=True)  # KiB on Linux
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_sandbox(db: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-c", SERVER, str(db), KEY, str(port)],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    if proc.stdout.readline().strip() != "ready":
        proc.kill()
        raise SystemExit("the sandbox did not start")
    return proc, f"http://127.0.0.1:{port}/api"


def timed(fn):
    tracemalloc.start()
    started = time.perf_counter()
    result = fn()
    elapsed = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return result, elapsed, peak


def rss_mib() -> float:
    # ru_maxrss is KiB on Linux.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def server_peak_mib(proc: subprocess.Popen) -> float | None:
    """The sandbox's peak RSS so far (Linux /proc; None elsewhere)."""
    try:
        status = Path(f"/proc/{proc.pid}/status").read_text()
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return None


def peaks(proc: subprocess.Popen) -> str:
    server = server_peak_mib(proc)
    shown = f"{server:.0f} MiB" if server is not None else "n/a"
    return f"peak RSS so far: client {rss_mib():.0f} MiB, server {shown}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=10_000, help="posts to list")
    parser.add_argument("--creates", type=int, default=300, help="single-post create requests")
    parser.add_argument("--batch", type=int, default=100, help="posts per batched create")
    parser.add_argument("--lists", type=int, default=5, help="repetitions of the full listing")
    parser.add_argument("--upload-mib", type=int, default=64, help="size of the uploaded clip")
    args = parser.parse_args()

    start = datetime(2031, 1, 1, tzinfo=UTC)
    with tempfile.TemporaryDirectory() as tmp:
        proc, url = start_sandbox(Path(tmp) / "bench.db")
        try:
            client = PostizClient(url, KEY, assumed_limit=10**9)
            channel = client.list_channels()[0].id
            stamp = iter(range(10**9))

            def entries(n: int) -> list[PostEntry]:
                return [PostEntry(channel, f"Clip {next(stamp)}: benchmark caption #cliper")
                        for _ in range(n)]

            def one_by_one() -> None:
                for i in range(args.creates):
                    client.create_posts(start + timedelta(minutes=i), entries(1))

            _, t_single, m_single = timed(one_by_one)
            p_single = peaks(proc)

            batches = max(0, args.posts - args.creates + args.batch - 1) // args.batch

            def batched() -> None:
                for i in range(batches):
                    client.create_posts(start + timedelta(hours=1, minutes=i), entries(args.batch))

            _, t_batch, m_batch = timed(batched)
            p_batch = peaks(proc)
            total = args.creates + batches * args.batch

            window = (start - timedelta(days=1), start + timedelta(days=30))

            def listing() -> int:
                count = 0
                for _ in range(args.lists):
                    count = len(client.list_posts(*window))
                return count

            listed, t_list, m_list = timed(listing)
            p_list = peaks(proc)

            clip = Path(tmp) / "clip.mp4"
            with clip.open("wb") as fh:  # an ftyp box, then zeros: sniffed as video/mp4
                fh.write(b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00isomiso2avc1mp41")
                fh.truncate(args.upload_mib * 1024 * 1024)
            _, t_upload, m_upload = timed(lambda: client.upload(clip))
            p_upload = peaks(proc)
            size = len(requests.get(f"{url}/public/v1/posts", headers={"Authorization": KEY},
                                    params={"startDate": window[0].isoformat(),
                                            "endDate": window[1].isoformat()}).content)
            client.close()
        finally:
            if proc.stdin:
                proc.stdin.close()
            final = proc.stdout.read().strip() if proc.stdout else ""
            proc.wait(timeout=10)

    mib = 1024 * 1024

    def mem(n: int) -> str:
        return f"{n / mib:.1f} MiB" if n >= mib else f"{n / 1024:.0f} KiB"

    print("cliper-sched client vs sandbox, 127.0.0.1 (sandbox in a child process)")
    print(f"create, 1 post/request : {args.creates} requests in {t_single:.2f}s = "
          f"{args.creates / t_single:.0f} req/s; client peak alloc {mem(m_single)}; {p_single}")
    if batches:
        print(f"create, {args.batch} posts/request: {batches} requests in {t_batch:.2f}s = "
              f"{batches / t_batch:.1f} req/s, {batches * args.batch / t_batch:.0f} posts/s; "
              f"client peak alloc {mem(m_batch)}; {p_batch}")
    print(f"list {listed} posts (of {total}), {size / mib:.1f} MiB JSON: {args.lists} requests in "
          f"{t_list:.2f}s = {args.lists / t_list:.2f} req/s, {listed * args.lists / t_list:.0f} "
          f"posts/s; client peak alloc {mem(m_list)}; {p_list}")
    print(f"upload {args.upload_mib} MiB clip (streamed): {t_upload:.2f}s = "
          f"{args.upload_mib / t_upload:.0f} MiB/s; client peak alloc {mem(m_upload)}; {p_upload}")
    server_total = f"{int(final) / 1024:.0f} MiB" if final.isdigit() else "n/a"
    print(f"peak RSS over the whole run: client {rss_mib():.0f} MiB, server {server_total}")


if __name__ == "__main__":
    main()
