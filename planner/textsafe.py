"""Text from outside (a plan, a CLIPER workspace, Postiz), made safe to print.

A caption, a channel name or an error message from a server may hold characters
that act on a terminal or hide from a reader:
- controls (Unicode category Cc): `ESC[2K` + `\\r` erases the line and lets the
  text write a forged "Apply complete!"; C1 controls (U+0080-U+009F) do the same
  on some terminals;
- format characters (Cf): bidirectional overrides and isolates (U+202A-U+202E,
  U+2066-U+2069) make text read in another order than it is; zero-width ones
  (U+200B-U+200F, U+2060-U+2064, U+FEFF), the soft hyphen U+00AD, U+061C,
  U+180E and the tag characters U+E0020-U+E007F draw nothing at all;
- separators other than the plain space (Zs, Zl, Zp): NBSP U+00A0, U+2000-U+200A,
  U+202F, U+205F, U+3000, U+2028, U+2029 look like a space or a line break but
  are not one (a hashtag with NBSP in it is no hashtag);
- the Hangul fillers and U+034F, U+17B4, U+17B5: letters and marks that draw nothing.
`HIDDEN` is that set (checked against Python's Unicode tables by the tests).

`printable` shows each of them as an escape (`\\x1b`, `\\r`, `\\xa0`, `\\u200b`,
`\\U000e0041`), so what is printed is what the text holds, and nothing else;
`json_text` writes them as JSON `\\uXXXX` escapes; `yaml_escaped` as YAML
double-quoted escapes (`\\u200B`), for the plan files this program writes.
Two uses of format characters are kept as they are, because they only draw
emoji: a zero-width joiner between two emoji (👩 U+200D 💻 draws one picture) and
the tag characters of a subdivision flag (🏴 + tags + U+E007F, the flag of Scotland).
Backslashes are left as they are.

Pure string code with no terminal in sight, so every layer may use it (errors.py
for problems that quote a plan); terminal code calls it as `planner.term.safe`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable

# Cf, Zs but the space, Zl, Zp (Unicode 14, Python 3.11), and the invisible letters.
_INVISIBLE = (
    "\xa0\xad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u1680\u180e"
    "\u2000-\u200f\u2028-\u202f\u205f-\u2064\u2066-\u206f\u3000\ufeff\ufff9-\ufffb"
    "\U000110bd\U000110cd\U00013430-\U00013438\U0001bca0-\U0001bca3\U0001d173-\U0001d17a"
    "\U000e0001\U000e0020-\U000e007f"
    "\u034f\u115f\u1160\u17b4\u17b5\u3164\uffa0"  # draw nothing, though letters or marks
)
HIDDEN = "\x00-\x1f\x7f-\x9f" + _INVISIBLE  # Cc (controls) and the rest
# Plain character classes: one scan of a 5 MiB plan takes a few milliseconds.
_HIDDEN = re.compile(f"[{HIDDEN}]")
_HIDDEN_KEEP_LINES = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f{_INVISIBLE}]")
_SHORT = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}

_EMOJI = re.compile("[\u2190-\u2bff\U0001f000-\U0001faff\ufe0f]")  # arrows, symbols, dingbats, emoji
# A subdivision flag: black flag, two to six letters or digits as tags, cancel tag.
_FLAG = re.compile("\U0001f3f4[\U000e0030-\U000e0039\U000e0061-\U000e007a]{2,6}\U000e007f")
_TAG = re.compile("[\U000e0020-\U000e007f]")


def _draws_emoji(text: str, at: int) -> bool:
    """Whether the hidden character at `at` only draws an emoji: a zero-width joiner
    between two emoji (U+FE0F before it counts), or a tag of a subdivision flag."""
    char = text[at]
    if char == "\u200d":
        return (0 < at < len(text) - 1 and _EMOJI.match(text, at - 1) is not None
                and text[at + 1] != "\ufe0f" and _EMOJI.match(text, at + 1) is not None)
    if _TAG.match(char):
        start = at
        while start > 0 and _TAG.match(text, start - 1):
            start -= 1
        flag = _FLAG.match(text, start - 1) if start > 0 else None
        return flag is not None and flag.end() > at
    return False


def _substitute(pattern: re.Pattern, escape: Callable[[int], str], text: str) -> str:
    def one(match: re.Match) -> str:
        at = match.start()
        return match.group() if _draws_emoji(text, at) else escape(ord(match.group()))
    return pattern.sub(one, text) if pattern.search(text) else text


def _python_escape(code: int, *, upper: bool = False) -> str:
    """`\\n`, `\\xa0`, `\\u200b`, `\\U000e0041`; `upper`: hex digits as YAML files spell them."""
    char = chr(code)
    if char in _SHORT:
        return _SHORT[char]
    digits = f"{code:02x}" if code < 0x100 else f"{code:04x}" if code < 0x10000 else f"{code:08x}"
    prefix = "\\x" if code < 0x100 else "\\u" if code < 0x10000 else "\\U"
    return prefix + (digits.upper() if upper else digits)


def printable(text: str, *, multiline: bool = False) -> str:
    """`text` with every control and hidden character written as an escape. `multiline`:
    keep line feeds and tabs (a text of several lines the caller composed, such as a hint)."""
    if not isinstance(text, str):
        text = str(text)
    return _substitute(_HIDDEN_KEEP_LINES if multiline else _HIDDEN, _python_escape, text)


def _json_escape(code: int) -> str:
    if code < 0x10000:
        return f"\\u{code:04x}"
    code -= 0x10000  # JSON spells a character beyond the BMP as a surrogate pair
    return f"\\u{0xd800 + (code >> 10):04x}\\u{0xdc00 + (code & 0x3ff):04x}"


def json_text(value, **kwargs) -> str:
    """JSON for a terminal or a pipe: Unicode kept readable, but no character that
    a terminal would act on or a reader could not see (each is written as a
    \\uXXXX escape, still valid JSON that reads back to the same text)."""
    # json.dumps escapes C0 controls inside strings itself (a raw line feed or tab is
    # the layout of `indent=`); with ensure_ascii=False (readable Unicode) it would
    # pass the other hidden characters through as they are.
    return _substitute(_HIDDEN_KEEP_LINES, _json_escape, json.dumps(value, ensure_ascii=False, **kwargs))


def _yaml_escape(code: int) -> str:
    return _python_escape(code, upper=True)


def yaml_escaped(quoted: str) -> str:
    """`quoted`, YAML text whose hidden characters all sit in double-quoted scalars,
    with each written as the YAML escape that reads back to it (`\\u200B`, `\\xA0`),
    the way the YAML emitters write the characters they escape themselves. Line feeds
    and tabs stay: they are the lines of the YAML text (inside double quotes the
    emitters escape them already)."""
    return _substitute(_HIDDEN_KEEP_LINES, _yaml_escape, quoted)
