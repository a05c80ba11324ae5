"""Benchmark: plan and validate a 10,000-clip CLIPER workspace.

    python bench/bench_plan.py [--clips 10000] [--keep DIR]

Builds the workspace in a temp folder (tiny MP4s, CLIPER's clips_copys.json),
then runs `cliper-sched plan` and `cliper-sched validate` each in a fresh
Python process and prints wall time, time per 1,000 clips and peak memory
(max RSS of that process). Target: well under a second per 1,000 clips.

Measured 2026-11-26 on the 2-core dev machine while other test suites ran
(load 2-4), per 1,000 clips: plan 0.18-0.31 s, validate 0.15-0.27 s, peak RSS
126 / 152 MiB (before the schema check was compiled and the cycle collector
paused during YAML work: plan 0.49 s, validate 0.55 s).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))
NOW = "2026-11-26T00:00:00+00:00"


def child(argv: list[str]) -> None:
    """Run one CLI command in this process, then report time and peak RSS as JSON on fd 3."""
    from planner.cli import main

    start = time.perf_counter()
    code = 0
    try:
        main(argv)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 0
    elapsed = time.perf_counter() - start
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    with os.fdopen(3, "w") as report:
        json.dump({"code": code, "seconds": elapsed, "peak_mib": peak_kb / 1024}, report)


def measure(label: str, argv: list[str], clips: int) -> dict:
    read_fd, write_fd = os.pipe()
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, __file__, "--child", json.dumps(argv)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            pass_fds=(write_fd,), env={**os.environ, "NO_COLOR": "1", "BENCH_FD": str(write_fd)})
    os.close(write_fd)
    with os.fdopen(read_fd) as fh:
        report = fh.read()
    _, err = proc.communicate()
    total = time.perf_counter() - started
    result = json.loads(report) if report else {"code": proc.returncode, "seconds": float("nan"), "peak_mib": float("nan")}
    if result["code"] != 0:
        print(err.decode(errors="replace")[-2000:], file=sys.stderr)
        raise SystemExit(f"{label} failed with exit code {result['code']}")
    per_k = result["seconds"] / clips * 1000
    print(f"{label:<9} {result['seconds']:7.2f} s in-process  ({total:6.2f} s with interpreter start)  "
          f"{per_k:6.3f} s per 1,000 clips  peak RSS {result['peak_mib']:7.1f} MiB")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=int, default=10_000)
    parser.add_argument("--keep", type=Path, help="build the workspace here and keep it")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        os.dup2(int(os.environ["BENCH_FD"]), 3)
        child(json.loads(args.child))
        return

    from support.workspaces import make_workspace

    with tempfile.TemporaryDirectory(prefix="cliper-bench-") as tmp:
        root = args.keep or Path(tmp)
        started = time.perf_counter()
        make_workspace(root / "ws", clips=args.clips, video_id="Bench Ep 01 - Diez mil clips_AbCdEfGhIjK")
        print(f"workspace {time.perf_counter() - started:7.2f} s to build {args.clips:,} clips in {root / 'ws'}")
        plan = root / "plans" / "bench.yaml"
        measure("plan", ["plan", str(root / "ws"), "--start", "2027-01-01 09:00", "--interval", "10m",
                         "--channels", "tiktok-main,youtube-shorts,x-main", "--timezone", "Europe/Madrid",
                         "--order", "viral_potential", "-o", str(plan), "--now", NOW], args.clips)
        print(f"plan file {plan.stat().st_size / 1024 / 1024:7.2f} MiB")
        measure("validate", ["validate", str(plan), "--now", NOW], args.clips)


if __name__ == "__main__":
    main()
