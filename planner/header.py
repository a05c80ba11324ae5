"""The comment block on top of a plan: how it was made and what to do next.

It repeats the command line that made the plan, with its paths written the way
the plan will be read (relative to the current folder or the plan's folder,
see `planner.paths`), so a reviewer can make it again.
"""

from __future__ import annotations

import shlex
from pathlib import Path

from planner.paths import header_paths

# Options whose values are paths: shown relative, like the workspace.
PATH_FLAGS = ("--rules", "-o")


def plan_header(workspace: str, options: dict, document: dict, *, video_id: str,
                plan_file: Path | None) -> str:
    """The header of `document`. `options`: flag -> value as typed (None or False:
    not given), in command-line order; `plan_file`: where the plan is written."""
    paths = [workspace] + [options[f] for f in PATH_FLAGS if options[f]]
    note, shown = header_paths(paths + ([plan_file] if plan_file else []), plan_file)
    command = _command_line(workspace, options, shown)
    target = shown[plan_file] if plan_file else "PLAN.yaml"
    posts = document["posts"]
    return "\n".join([
        f"cliper-sched plan {document['name']!r}: {len(posts)} posts from CLIPER video {video_id!r}",
        f"made by{note}: {command}",
        f"first post {posts[0]['at']}, last post {posts[-1]['at']} ({document['timezone']})",
        f"Review it, edit it by hand if you like, commit it to git, then{' (in this folder)' if note else ''}:",
        f"  cliper-sched validate {target}",
        f"  cliper-sched apply {target}     (a second apply changes nothing)",
    ])


def _command_line(workspace: str, options: dict, shown: dict) -> str:
    parts = ["cliper-sched", "plan", shown[workspace]]
    for flag, value in options.items():
        if value is None or value is False:
            continue
        if value is True:
            parts.append(flag)
        else:
            parts += [flag, shown[value] if flag in PATH_FLAGS else shlex.quote(str(value))]
    return " ".join(parts)
