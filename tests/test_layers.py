"""The architecture holds (docs/architecture.md): checked on the code, not trusted.

- terminal code (click, colours, progress) lives in planner/cli.py and planner/commands/;
- the domain packages never import the commands;
- the sandbox shares nothing with the tool but the HTTP contract;
- the state of a plan is changed only by the orchestrator and the executor, through
  State's methods (every other step returns values).
"""

from __future__ import annotations

import ast
import functools
from pathlib import Path

import pytest

PLANNER = Path(__file__).resolve().parents[1] / "planner"
PRESENTATION = {"planner/cli.py", "planner/term.py", "planner/logs.py"}


# Module paths at collection, parsed only when their test runs: collection happens in
# every pytest-xdist worker, and parsing the whole package there cost each ~0.6 s.
MODULES = [path.relative_to(PLANNER.parent).as_posix() for path in sorted(PLANNER.rglob("*.py"))]


@functools.cache
def parsed(rel: str) -> ast.AST:
    return ast.parse((PLANNER.parent / rel).read_text("utf-8"), filename=rel)


def imported(tree: ast.AST) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names |= {f"{node.module}.{alias.name}" for alias in node.names}
    return names


def in_commands(rel: str) -> bool:
    return rel.startswith("planner/commands/") or rel in PRESENTATION


@pytest.mark.parametrize("rel", MODULES)
def test_module_keeps_to_its_layer(rel):
    names = imported(parsed(rel))
    if not in_commands(rel) and not rel.startswith("planner/sandbox/"):
        assert not {n for n in names if n == "click" or n.startswith("click.")}, f"{rel} imports click"
        assert "planner.term" not in names, f"{rel} draws on the terminal (planner.term)"
        assert not {n for n in names if n.startswith("planner.commands")}, f"{rel} imports a command module"
    if rel.startswith("planner/sandbox/"):
        outside = {n for n in names if n.startswith("planner") and not n.startswith("planner.sandbox")}
        assert not outside, f"the sandbox must share nothing with the tool but the contract: {rel} imports {outside}"


STATE_FIELDS = {"posts", "journal", "media"}
STATE_WRITERS = {"planner/reconcile/state.py"}


@pytest.mark.parametrize("rel", [m for m in MODULES if m.startswith("planner/reconcile/")])
def test_only_state_methods_change_the_state(rel):
    """No `x.posts[a] = ...`, `x.journal.append(...)`, `x.media = ...` outside state.py."""
    if rel in STATE_WRITERS:
        return
    tree = parsed(rel)
    for node in ast.walk(tree):
        targets = []
        if isinstance(node, ast.Assign | ast.AugAssign | ast.Delete):
            targets = node.targets if isinstance(node, ast.Assign | ast.Delete) else [node.target]
        for target in targets:
            base = target.value if isinstance(target, ast.Subscript) else target
            if isinstance(base, ast.Attribute) and base.attr in STATE_FIELDS:
                pytest.fail(f"{rel}:{node.lineno} changes .{base.attr} directly; use State's methods")
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Attribute) and node.func.value.attr in STATE_FIELDS
                and node.func.attr in {"append", "extend", "pop", "clear", "update", "setdefault", "remove"}):
            pytest.fail(f"{rel}:{node.lineno} changes .{node.func.value.attr} directly; use State's methods")
