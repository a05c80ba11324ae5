"""Every benchmark, one after the other: `python3 bench/run_all.py [--quick]`.

Runs the installed `cliper-sched` where a benchmark runs the command (install
it first: `python3 -m pip install .`). `--quick` uses small sizes, for a
smoke run; the defaults are the sizes the README quotes.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
FULL = [["bench_startup.py"], ["bench_plan.py"], ["bench_client.py"], ["bench_apply.py"]]
QUICK = [["bench_startup.py", "--runs", "3"], ["bench_plan.py", "--clips", "1000"],
         ["bench_client.py", "--posts", "1000", "--creates", "50"], ["bench_apply.py", "500"]]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (a smoke run)")
    args = parser.parse_args()
    failed = 0
    for script, *rest in QUICK if args.quick else FULL:
        print(f"== {script} {' '.join(rest)}".rstrip(), flush=True)
        started = time.perf_counter()
        code = subprocess.call([sys.executable, str(HERE / script), *rest])
        print(f"   ({time.perf_counter() - started:.1f} s, exit {code})\n", flush=True)
        failed += code != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
