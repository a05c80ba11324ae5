"""The comment block on top of a plan: how it was made and what to do next.

It repeats the command line that made the plan, with its paths written the way
the plan will be read (relative to the current folder or the plan's folder,
see `planner.paths`), so a reviewer can make it again.

Its first line is a modeline for editors using yaml-language-server (VS Code's
YAML extension, Neovim, Helix...): they validate the plan as it is typed against
`.schema/plan.json` beside it, which `plan -o` writes (planner.commands.schema).
The path is relative to the plan's folder, so it is the same on every machine
and the plan stays byte for byte the same for the same inputs.
"""

from __future__ import annotations

import shlex
from pathlib import Path

from planner.paths import header_paths

# Options whose values are paths: shown relative, like the workspace.
PATH_FLAGS = ("--rules", "-o")

# Where editors find the plan schema, relative to the plan file's folder.
EDITOR_SCHEMA = ".schema/plan.json"
MODELINE = f"yaml-language-server: $schema={EDITOR_SCHEMA}"


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
        MODELINE,
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
        elif isinstance(value, list):  # a repeatable option: once per value
            for item in value:
                parts += [flag, shlex.quote(str(item))]
        else:
            parts += [flag, shown[value] if flag in PATH_FLAGS else shlex.quote(str(value))]
    return " ".join(parts)
