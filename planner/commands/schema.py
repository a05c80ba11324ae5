"""`cliper-sched schema plan|rules|state [-o FILE]`: the JSON Schemas, for editors and tools.

The text printed or written is the schema file shipped in the package, byte for
byte: the very schema `validate`, `diff` and `apply` check files against.
`sync_editor_schema` keeps the copy beside a plan (`plans/.schema/plan.json`,
named by the plan's modeline, planner.header) equal to it.
"""

from __future__ import annotations

from pathlib import Path

import click

from planner.errors import write_failed
from planner.fsutil import atomic_write_text
from planner.header import EDITOR_SCHEMA
from planner.schema import SCHEMAS

FILES = {"plan": "plan.schema.json", "rules": "rules.schema.json", "state": "state.schema.json"}


def schema_text(name: str) -> str:
    """The shipped JSON Schema of `name` (plan, rules, state), as its file holds it."""
    return (SCHEMAS / FILES[name]).read_text("utf-8")


def editor_schema_path(plan_file: Path) -> Path:
    """Where the modeline of `plan_file` points: `.schema/plan.json` in its folder."""
    return plan_file.parent / EDITOR_SCHEMA


def sync_editor_schema(plan_file: Path) -> Path | None:
    """Write the plan schema where `plan_file`'s modeline points, when it is missing or
    differs from this version's (what validate checks is what the editor checks).
    The path written, or None when it was already up to date. Raises OSError."""
    target = editor_schema_path(plan_file)
    wanted = schema_text("plan")
    try:
        if target.is_file() and target.stat().st_size < (1 << 20) \
                and target.read_text("utf-8") == wanted:
            return None
    except (OSError, UnicodeDecodeError):
        pass  # unreadable: written again below
    atomic_write_text(target, wanted)
    return target


@click.command("schema")
@click.argument("name", type=click.Choice(list(FILES)))
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=str),
              help="Write the schema to FILE (atomically, creating its folders) instead of stdout.")
def command(name, output):
    """Print the JSON Schema of plan, rules or state files (JSON Schema 2020-12).

    Editors validate plans as you type: every plan starts with the modeline
    `# yaml-language-server: $schema=.schema/plan.json`, a path relative to
    the plan's folder. `plan -o plans/ep12.yaml` writes that file when it is
    missing or out of date; for plans written with `plan > FILE`:

    \b
      cliper-sched schema plan -o plans/.schema/plan.json
      git add plans/.schema/plan.json

    VS Code (YAML extension), Neovim and Helix with yaml-language-server read
    the modeline; for rules files, put `# yaml-language-server:
    $schema=<path to rules.json>` on the first line of the rules file.
    """
    text = schema_text(name)
    if output is None:
        click.echo(text, nl=False)
        return 0
    try:
        atomic_write_text(output, text)
    except OSError as exc:
        raise write_failed(output, f"the {name} schema", exc, "nothing was written") from exc
    click.echo(f"Wrote {output}: the JSON Schema of {name} files.", err=True)
    return 0
