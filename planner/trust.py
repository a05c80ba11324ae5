"""Which files a plan may reach: its own repository, and what the user trusts.

Plans, rules files and CLIPER workspaces arrive through git pull requests, so a
plan file alone can never point outside:

- the workspace a plan names (`source.workspace`) must resolve, after following
  links, inside the git repository holding the plan (found by walking up from the
  plan's folder to a `.git` entry) or, outside git, under the plan's folder's parent;
- every media file must resolve, after following links, inside the workspace.

The user says otherwise outside the plan: `--workspace DIR` or `CLIPER_WORKSPACE`
(typed by the user, so trusted as they are), or a folder listed in their own
`$XDG_CONFIG_HOME/cliper-sched/trusted-workspaces` (default
`~/.config/cliper-sched/trusted-workspaces`): one absolute path per line, `#`
comments and blank lines ignored; every folder under a listed one is trusted as a
workspace. `cliper-sched trust DIR` adds a line, like direnv's `allow`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from planner.errors import UserError
from planner.fsutil import TRUSTED_MAX_BYTES, atomic_write_text, read_capped

TRUSTED_FILE_NAME = "trusted-workspaces"
_HEADER = ("# Folders cliper-sched trusts as CLIPER workspaces wherever a plan names them\n"
           "# (one absolute path per line; `cliper-sched trust DIR` adds one).\n")


def real(path: str | os.PathLike) -> Path:
    """`path` absolute, with every link followed: what opening it really reads (no `~`
    expansion, as `open` does none)."""
    return Path(os.path.realpath(path))


def inside(path: Path, folder: Path) -> bool:
    return path == folder or path.is_relative_to(folder)


# --- the plan's own area ---------------------------------------------------------------


def repository_root(folder: Path) -> Path | None:
    """The nearest folder at or above `folder` holding a `.git` entry (folder or file)."""
    for candidate in (folder, *folder.parents):
        if os.path.lexists(candidate / ".git"):
            return candidate
    return None


@dataclass(frozen=True)
class Boundary:
    """Where the workspace of one plan may be: `root` and everything under it."""

    root: Path
    in_git: bool

    def describe(self) -> str:
        if self.in_git:
            return f"the git repository holding this plan ({self.root})"
        return f"{self.root}, the folder above this plan's folder (the plan is in no git repository)"

    def short(self) -> str:
        return "the git repository holding this plan" if self.in_git else f"{self.root}, the folder above this plan's folder"


def boundary(plan_path: str | os.PathLike) -> Boundary:
    folder = real(Path(plan_path).parent)
    root = repository_root(folder)
    return Boundary(root, True) if root is not None else Boundary(folder.parent, False)


@dataclass(frozen=True)
class Outside:
    """A workspace a plan names that lies outside the plan's boundary and no trusted folder."""

    declared: str  # as the plan (or its resolution) gives it
    real: Path
    lexical: Path  # absolute, links not followed
    boundary: Boundary

    def message(self) -> str:
        subject = f"{self.real} is" if self.lexical == self.real else f"{self.declared} resolves to {self.real},"
        return f"{subject} outside {self.boundary.describe()}"


def outside(plan_path: str | os.PathLike, workspace: str | os.PathLike, declared: str | None = None) -> Outside | None:
    """None when a plan at `plan_path` may use `workspace` (inside its boundary, or under
    a trusted folder); else what is wrong. Reads the trusted list only when needed."""
    where = real(workspace)
    limit = boundary(plan_path)
    if inside(where, limit.root) or any(inside(where, t) for t in trusted_roots()):
        return None
    return Outside(declared or str(workspace), where, Path(os.path.abspath(workspace)), limit)


def media_outside(workspace: str | os.PathLike, media_path: str) -> Path | None:
    """Where `media_path` really leads when that is outside `workspace` (after links); else None."""
    base = real(workspace)
    target = real(Path(workspace) / media_path)
    return None if inside(target, base) else target


# --- the user's trusted folders ----------------------------------------------------------


def trusted_file() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME", "")
    folder = Path(base) if os.path.isabs(base) else Path.home() / ".config"  # XDG: relative = unset
    return folder / "cliper-sched" / TRUSTED_FILE_NAME


def _read_lines(path: Path) -> list[str] | None:
    """The file's lines; None when it does not exist."""
    try:
        data = read_capped(path, TRUSTED_MAX_BYTES, "the trusted-workspaces file")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise UserError(f"cannot read the list of trusted workspaces ({exc.strerror or exc})", file=str(path),
                        hint="fix the file's permissions, or delete it") from None
    try:
        return data.decode("utf-8").splitlines()
    except UnicodeDecodeError as exc:
        raise UserError(f"not UTF-8 text (byte {exc.start})", file=str(path),
                        hint="one absolute folder per line; `cliper-sched trust --list` shows them") from None


def trusted_roots() -> list[Path]:
    """The folders the user trusts, links followed; a UserError for a line that is not
    an absolute path (a relative one would depend on where a command runs)."""
    path = trusted_file()
    roots = []
    for number, line in enumerate(_read_lines(path) or [], 1):
        entry = line.strip()
        if not entry or entry.startswith("#"):
            continue
        if not os.path.isabs(entry):
            raise UserError(f"{entry!r} is not an absolute path", file=str(path), line=number,
                            hint="write one absolute folder per line (`cliper-sched trust DIR` does)")
        roots.append(real(entry))
    return roots


def add(folder: str | os.PathLike) -> tuple[Path, bool]:
    """Trust `folder` (an existing folder, links followed): (what is listed, whether it was new)."""
    where = real(folder)
    if not where.is_dir():
        raise UserError(f"{folder}: no such folder", hint="give the CLIPER workspace folder (or a folder above it)")
    if any(t == where for t in trusted_roots()):
        return where, False
    path = trusted_file()
    lines = _read_lines(path)
    text = "\n".join(lines) + "\n" if lines else _HEADER
    atomic_write_text(path, text + f"{where}\n")
    return where, True


def remove(folder: str | os.PathLike) -> bool:
    """Stop trusting `folder` (as listed, or as it resolves); whether a line was removed."""
    wanted = {str(folder), str(real(folder))}
    path = trusted_file()
    lines = _read_lines(path) or []
    kept = [line for line in lines if line.strip() not in wanted
            and not (os.path.isabs(line.strip()) and str(real(line.strip())) in wanted)]
    if len(kept) == len(lines):
        return False
    atomic_write_text(path, "\n".join(kept) + "\n")
    return True
