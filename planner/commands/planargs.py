"""PLAN arguments: files and folders of plan files, in a stable order.

`cliper-sched diff plans/` means every plan file directly inside `plans/`
(`*.yaml`, `*.yml`; hidden files and folders such as `plans/.schema/` skipped),
sorted by name, so two runs over one folder visit the plans in the same order.
"""

from __future__ import annotations

from pathlib import Path

from planner.errors import UserError
from planner.planfiles import plan_files_in


def expand(args: tuple[str, ...] | list[str]) -> list[Path]:
    """The plan files named by ARGS, each once, in the order given (folders sorted)."""
    out: list[Path] = []
    seen: set[Path] = set()
    for arg in args:
        path = Path(arg)
        if path.is_dir():
            found = plan_files_in(path)
            if not found:
                raise UserError("this folder holds no plan file (*.yaml)", file=arg,
                                hint="give plan files or a folder of them, e.g. `plans/`")
        elif path.exists():
            found = [path]
        else:
            raise UserError("no such file or folder (give plan files or folders of them)", file=arg,
                            hint="check the path; plans are usually under plans/")
        for p in found:
            key = p.resolve()
            if key not in seen:
                seen.add(key)
                out.append(p)
    return out
