"""Text from outside (a plan, a CLIPER workspace, Postiz), made safe to print.

A caption, a channel name or an error message from a server may hold terminal
control sequences: `ESC[2K` + `\\r` erases the line and lets the text write a
forged "Apply complete!"; C1 controls (U+0080-U+009F) do the same on some
terminals; bidirectional overrides (U+202A-U+202E, U+2066-U+2069) make text read
in another order than it is. `printable` shows each of them as an escape
(`\\x1b`, `\\r`, `\\u202e`), so what is printed is what the text holds, and
nothing else. Backslashes are left as they are.

Pure string code with no terminal in sight, so every layer may use it (errors.py
for problems that quote a plan); terminal code calls it as `planner.term.safe`.
"""

from __future__ import annotations

import json
import re

# C0 controls, DEL, C1 controls, and the bidi embeddings, overrides and isolates.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_CONTROL_KEEP_LINES = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_SHORT = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(match: re.Match) -> str:
    char = match.group()
    if char in _SHORT:
        return _SHORT[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str, *, multiline: bool = False) -> str:
    """`text` with every control character written as an escape. `multiline`: keep
    line feeds and tabs (a text of several lines the caller composed, such as a hint)."""
    if not isinstance(text, str):
        text = str(text)
    pattern = _CONTROL_KEEP_LINES if multiline else _CONTROL
    return pattern.sub(_escape, text) if pattern.search(text) else text


# json.dumps escapes C0 controls itself; with ensure_ascii=False (readable
# Unicode) it would pass C1 controls and bidi overrides through as they are.
_JSON_UNSAFE = re.compile("[\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def json_text(value, **kwargs) -> str:
    """JSON for a terminal or a pipe: Unicode kept readable, but no character that
    a terminal would act on (each is written as a \\uXXXX escape, still valid JSON)."""
    text = json.dumps(value, ensure_ascii=False, **kwargs)
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
