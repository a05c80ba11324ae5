"""Fault injection for tests: off unless a test asks (`POST /_sandbox/faults`).

A fault matches a method and a path pattern (fnmatch, against the path without
the `/api` prefix) and fires on the `nth` matching request, `count` times:
- `error`: answer `status` (500 by default, Nest's generic body; 502/503/504 answer the
  HTML page a reverse proxy such as nginx sends when the backend is down) and do nothing;
- `delay`: sleep `seconds`, then carry on normally;
- `drop`: carry the request out fully, then close the socket without answering.
Faults live in memory: a restarted sandbox has none.
"""

from __future__ import annotations

import fnmatch
import threading
from dataclasses import dataclass, field

ACTIONS = ("error", "delay", "drop")
STATUSES = (500, 502, 503, 504)


@dataclass
class Fault:
    method: str
    path: str
    action: str
    nth: int = 1
    count: int = 1
    seconds: float = 0.0
    status: int = 500
    seen: int = 0
    fired: int = 0
    id: int = 0

    def as_dict(self) -> dict:
        return {k: getattr(self, k) for k in
                ("id", "method", "path", "action", "nth", "count", "seconds", "status", "seen",
                 "fired")}


@dataclass
class Faults:
    items: list[Fault] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    next_id: int = 1

    def add(self, spec: dict) -> Fault:
        action = spec.get("action")
        if action not in ACTIONS:
            raise ValueError(f"action must be one of {', '.join(ACTIONS)}")
        status = int(spec.get("status", 500))
        if status not in STATUSES:
            raise ValueError(f"status must be one of {', '.join(map(str, STATUSES))}")
        fault = Fault(
            method=str(spec.get("method", "*")).upper(),
            path=str(spec.get("path", "*")),
            action=action,
            nth=int(spec.get("nth", 1)),
            count=int(spec.get("count", 1)),
            seconds=float(spec.get("seconds", 0)),
            status=status,
        )
        with self.lock:
            fault.id = self.next_id
            self.next_id += 1
            self.items.append(fault)
        return fault

    def clear(self) -> None:
        with self.lock:
            self.items.clear()

    def match(self, method: str, path: str) -> list[Fault]:
        """Faults firing for this request (each matching fault counts it as seen)."""
        firing = []
        with self.lock:
            for fault in self.items:
                if fault.method not in ("*", method) or not fnmatch.fnmatchcase(path, fault.path):
                    continue
                fault.seen += 1
                if fault.seen >= fault.nth and fault.fired < fault.count:
                    fault.fired += 1
                    firing.append(fault)
        return firing

    def listing(self) -> list[dict]:
        with self.lock:
            return [f.as_dict() for f in self.items]
