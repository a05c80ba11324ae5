"""Counters the reliability suites add up for docs/reliability.md.

Tests call `record("faults_injected", 1)` and the like. Nothing is written
unless RELIABILITY_FIGURES names a file (bench/reliability_figures.py sets it):
then every call appends one JSON line there, and the script sums them.
"""

from __future__ import annotations

import json
import os

ENV = "RELIABILITY_FIGURES"


def record(name: str, amount: int = 1, **detail) -> None:
    target = os.environ.get(ENV)
    if not target:
        return
    with open(target, "a", encoding="utf-8") as fh:
        fh.write(json.dumps({"name": name, "amount": amount, **detail}, sort_keys=True) + "\n")
