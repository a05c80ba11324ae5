"""How a plan names files: relative to where it lands, never by a machine-only path.

A plan is meant for git, so its header and `source.workspace` name files
relative to the current folder or to the plan's own folder, or with `~/`;
`stdout_file` finds where `plan > FILE` is writing, so stdout counts too.
"""

from __future__ import annotations

import io
import os
import shlex
import stat
import sys
from pathlib import Path


def _absolute(path: str | os.PathLike) -> Path:
    return Path(os.path.abspath(os.path.expanduser(path)))


def shown_path(path: str | os.PathLike, base: Path) -> str | None:
    """`path` for a file meant for git: relative to `base`, or `~/...`; None when
    only the machine's absolute path would do (/tmp/x seen from /work/repo)."""
    full, base = _absolute(path), _absolute(base)
    if full.is_relative_to(base) and base != Path(base.anchor):  # from /, "tmp/x" is /tmp/x
        return full.relative_to(base).as_posix() or "."
    home = Path.home()
    if full.is_relative_to(home) and not base.is_relative_to(home):
        return "~/" + full.relative_to(home).as_posix()
    try:
        if os.path.commonpath([full, base]) == full.anchor:  # would climb to the root: a machine path
            return None
        return Path(os.path.relpath(full, base)).as_posix()
    except ValueError:  # another drive on Windows
        return None


def _quote_path(text: str) -> str:
    # shlex would quote the ~ too, and then the shell would not expand it.
    return "~/" + shlex.quote(text[2:]) if text.startswith("~/") else shlex.quote(text)


def header_paths(paths: list[str | os.PathLike], plan_file: Path | None) -> tuple[str, dict]:
    """(how to read them, {path: shown}) for the header: relative to the current
    folder when that works for every path, else to the plan's own folder."""
    bases = [("", Path.cwd())]
    if plan_file is not None:
        bases.append((" (run in this file's folder)", _absolute(plan_file).parent))
    for note, base in bases:
        shown = {p: shown_path(p, base) for p in paths}
        quoted = {p: _quote_path(v) for p, v in shown.items() if v is not None}
        if len(quoted) == len(shown):
            return note, quoted
    # Nothing in common with either folder: elide the machine part rather than commit it.
    return bases[-1][0], {p: _quote_path(v if v is not None else ".../" + Path(p).name) for p, v in shown.items()}


def relative_to_plan(folder: Path, plan_file: Path | None) -> str:
    """`folder` as the plan records it: relative to the plan's folder, or to the
    current folder when the plan has no file (stdout to a pipe)."""
    base = plan_file.resolve().parent if plan_file else Path.cwd()
    return Path(os.path.relpath(folder.resolve(), base)).as_posix()


def stdout_file() -> Path | None:
    """The file stdout is redirected to (`plan ... > plans/ep12.yaml`), when it is one."""
    try:
        fd = sys.stdout.fileno()
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            return None
        target = Path(os.readlink(f"/proc/self/fd/{fd}"))  # Linux; elsewhere: unknown
        return target if os.path.samestat(target.stat(), st) else None
    except (OSError, ValueError, AttributeError, io.UnsupportedOperation):
        return None
