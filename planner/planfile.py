"""The plan file: the contract between `plan` and `apply` (docs/architecture.md).

`load_plan` reads a (possibly hand-edited) plan into a `Plan`, or raises one
`UserError` listing every problem as `file:line: path: message`.
`dump_plan` writes a plan document deterministically: same document, same bytes.

Where the workspace is (`Plan.workspace`), first match wins:
1. the `workspace=` argument (`--workspace` on the command line), else the
   `CLIPER_WORKSPACE` environment variable;
2. `source.workspace` relative to the plan file's folder (what `plan -o FILE`
   and `plan > FILE` write);
3. `source.workspace` relative to the current folder (what `plan` writes when
   its stdout is not a file it can name, e.g. a pipe);
4. otherwise the plan-folder-relative path, which does not exist: `validate`
   then reports the media as missing, with this list as the hint.

Only 1. is the user's word; a workspace from the plan (2.-4.) must lie inside the
plan's own repository or a folder the user trusts, and media inside the workspace
(`planner.trust`; `validate` checks both, and so do diff and apply before acting).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple, TypeAlias
from zoneinfo import ZoneInfo

import yaml

from planner.cadence import CadenceError, Duration, load_zone, localize, parse_duration
from planner.errors import Problem, UserError
from planner.fsutil import PLAN_MAX_BYTES
from planner.generated import Entry
from planner.schema import read_document, schema_problems
from planner.textsafe import printable, yaml_escaped
from planner.yamldoc import Document, no_cycle_collection, parse_yaml, render_path

PLAN_VERSION = 1
WORKSPACE_ENV = "CLIPER_WORKSPACE"


@dataclass
class Media:
    path: str
    sha256: str  # required: the file reviewers saw


@dataclass
class Override:
    caption: str | None = None
    at: datetime | None = None
    settings: dict = field(default_factory=dict)
    status: str | None = None  # "schedule" | "draft" on this channel only


@dataclass
class ChannelConfig:
    provider: str | None = None
    offset: Duration | None = None
    settings: dict = field(default_factory=dict)


@dataclass(frozen=True)
class CadenceLimits:
    """The plan's `cadence:` limits, per channel: what `plan` kept to, and what `plan`
    (planning another episode beside it) and `validate` check every plan's posts against."""

    max_per_day: int | None = None
    min_gap: Duration | None = None


@dataclass
class PlanPost:
    key: str
    clip: int | None
    media: Media | None
    caption: str
    at: datetime
    channels: list[str]
    overrides: dict[str, Override]
    index: int  # position in posts[]
    line: int | None  # YAML line of this entry
    status: str | None = None  # "schedule" | "draft"; None: the plan's `status`


class Target(NamedTuple):
    """One (post, channel) pair with offsets and overrides applied."""

    post: PlanPost
    channel_ref: str
    at: datetime
    caption: str
    settings: dict

    @property
    def address(self) -> str:
        return f"{self.post.key}@{self.channel_ref}"


@dataclass
class Plan:
    path: Path
    name: str
    timezone: ZoneInfo
    posts: list[PlanPost]
    channels: dict[str, ChannelConfig]
    workspace: Path | None
    source: dict = field(default_factory=dict)
    document: Document | None = None
    # Who named the workspace: "user" (--workspace / CLIPER_WORKSPACE: trusted as given)
    # or "plan" (source.workspace, or the plan's own folder: checked by planner.trust).
    workspace_named_by: str = "plan"
    # Its identity in Postiz (planner/planid.py); None in a plan made before ids existed.
    id: str | None = None
    # Every post's status unless the post gives its own: "schedule" (published at its
    # time) or "draft" (a Postiz draft: in the calendar, never published).
    status: str = "schedule"
    # `cadence:` (max_per_day, min_gap); empty in a plan made without them or before they were recorded.
    cadence: CadenceLimits = field(default_factory=CadenceLimits)
    # What `plan` wrote for each post key, as digests (planner.generated): the base of
    # `plan --update`. Empty in a plan made before bases existed.
    generated: dict[str, dict[str, str]] = field(default_factory=dict)

    def status_of(self, post: PlanPost, ref: str | None = None) -> str:
        """overrides.<ref>.status, else the post's `status`, else the plan's."""
        override = post.overrides.get(ref) if ref is not None else None
        return (override.status if override is not None else None) or post.status or self.status

    @property
    def base(self) -> Path:
        """The folder media paths are relative to: the workspace, else the plan's folder."""
        return self.workspace if self.workspace is not None else self.path.parent

    def media_file(self, post: PlanPost) -> Path:
        if post.media is None:
            raise ValueError(f"post {post.key} has no media")
        return self.base / post.media.path

    def line_of(self, path: str | tuple) -> int | None:
        if self.document is None:
            return None
        return self.document.line(_split_path(path) if isinstance(path, str) else path)

    def targets(self) -> Iterator[Target]:
        for post in self.posts:
            for ref in post.channels:
                cfg = self.channels.get(ref) or ChannelConfig()
                ov = post.overrides.get(ref) or Override()
                if ov.at is not None:
                    at = ov.at
                elif cfg.offset is not None:
                    at = cfg.offset.add_to(post.at, self.timezone)
                else:
                    at = post.at
                settings = {**cfg.settings, **ov.settings}
                yield Target(post, ref, at, ov.caption if ov.caption is not None else post.caption, settings)


def _split_path(text: str) -> tuple:
    parts: list = []
    for name, index in re.findall(r"([^.\[\]]+)|\[(\d+)\]", text):
        parts.append(int(index) if index else name)
    return tuple(parts)


def parse_at(value, tz: ZoneInfo) -> datetime:
    try:
        moment = datetime.fromisoformat(str(value).strip())
    except ValueError as exc:
        raise CadenceError(f"{value!r} is not a valid date and time") from exc
    return localize(moment, tz) if moment.tzinfo is None else moment


def read_plan(path: str | os.PathLike, *, workspace: str | os.PathLike | None = None) -> tuple[Plan | None, list[Problem]]:
    """Like `load_plan` but returns the problems (errors and warnings) instead of raising."""
    path = Path(path)
    doc, problems = read_document(path, "plan.schema.json", cap=PLAN_MAX_BYTES, what="the plan file",
                                  not_fields="a plan file must be a set of fields (version, name, timezone, posts, ...)",
                                  hint="start from the output of `cliper-sched plan`")
    if doc is None:
        return None, problems
    return _build_plan(path, str(path), doc, workspace)


def read_plan_text(path: Path, text: str) -> tuple[Plan | None, list[Problem]]:
    """Like `read_plan`, for text about to be written to `path` (checked before it is)."""
    file = str(path)
    doc, problems = parse_yaml(text, file)
    if doc is None or problems:
        return None, problems
    if not isinstance(doc.data, dict):
        return None, [Problem("a plan file must be a set of fields", file=file, line=1)]
    problems = schema_problems(doc, "plan.schema.json", file)
    if problems:
        return None, problems
    return _build_plan(path, file, doc, None)


def load_plan(path: str | os.PathLike, *, workspace: str | os.PathLike | None = None) -> Plan:
    plan, problems = read_plan(path, workspace=workspace)
    errors = [p for p in problems if p.severity == "error"]
    if errors or plan is None:
        raise UserError(problems=errors or problems)
    return plan


def resolve_workspace(plan_path: Path, declared: str | None, explicit: str | os.PathLike | None) -> Path | None:
    if explicit is not None:
        return Path(explicit)
    if os.environ.get(WORKSPACE_ENV):
        return Path(os.environ[WORKSPACE_ENV])
    if not declared:
        return None
    beside = plan_path.parent / declared
    if beside.is_dir():
        return beside
    here = Path(declared)
    if here.is_dir():
        return here
    return beside


def _build_plan(path: Path, file: str, doc: Document, workspace) -> tuple[Plan | None, list[Problem]]:
    data = doc.data
    problems: list[Problem] = []

    def problem(where: tuple, message: str, hint: str | None = None, severity: str = "error") -> None:
        problems.append(Problem(message, file=file, path=render_path(where), line=doc.line(where),
                                hint=hint, severity=severity))

    try:
        tz = load_zone(data["timezone"])
    except CadenceError as exc:
        problem(("timezone",), str(exc))
        tz = ZoneInfo("UTC")

    channels: dict[str, ChannelConfig] = {}
    for ref, cfg in (data.get("channels") or {}).items():
        offset = None
        if cfg.get("offset") is not None:
            try:
                offset = parse_duration(cfg["offset"], allow_negative=True)
            except CadenceError as exc:
                problem(("channels", ref, "offset"), str(exc))
        channels[ref] = ChannelConfig(cfg.get("provider"), offset, dict(cfg.get("settings") or {}))

    cadence = _cadence_limits(data.get("cadence") or {}, problem)

    posts: list[PlanPost] = []
    seen_keys: dict[str, int] = {}
    for i, raw in enumerate(data["posts"]):
        here = ("posts", i)
        key = raw["key"]
        if key in seen_keys:
            problem(here + ("key",), f"duplicate key '{key}' (also posts[{seen_keys[key]}])",
                    hint="every post needs its own key; rename one (e.g. clip-07b)")
        else:
            seen_keys[key] = i
        try:
            at = parse_at(raw["at"], tz)
        except CadenceError as exc:
            problem(here + ("at",), str(exc), hint='write it like "2026-12-01T09:00:00-06:00"')
            continue
        overrides: dict[str, Override] = {}
        for ref, ov in (raw.get("overrides") or {}).items():
            if ref not in raw["channels"]:
                problem(here + ("overrides", ref), f"'{ref}' is not in this post's channels {raw['channels']}",
                        hint="add the channel to `channels`, or fix the name of the override")
                continue
            ov_at = None
            if ov.get("at") is not None:
                try:
                    ov_at = parse_at(ov["at"], tz)
                except CadenceError as exc:
                    problem(here + ("overrides", ref, "at"), str(exc))
            overrides[ref] = Override(ov.get("caption"), ov_at, dict(ov.get("settings") or {}), ov.get("status"))
        media = None
        if raw.get("media") is not None:
            media = Media(raw["media"]["path"], raw["media"]["sha256"])
            if Path(media.path).is_absolute() or re.match(r"^[A-Za-z]:[\\/]", media.path):
                problem(here + ("media", "path"), "an absolute path ties the plan to one machine",
                        hint="write it relative to source.workspace, e.g. output/<video>/7.mp4")
            elif ".." in re.split(r"[\\/]", media.path):
                problem(here + ("media", "path"), "the path leaves the workspace ('..')",
                        hint="media must live inside source.workspace, e.g. output/<video>/7.mp4")
        posts.append(PlanPost(key, raw.get("clip"), media, raw["caption"], at, list(raw["channels"]),
                              overrides, i, doc.line(here), raw.get("status")))
    if problems:
        return None, problems
    source = dict(data.get("source") or {})
    ws = resolve_workspace(path, source.get("workspace"), workspace)
    named_by = "user" if workspace is not None or os.environ.get(WORKSPACE_ENV) else "plan"
    return Plan(path, data["name"], tz, posts, channels, ws, source, doc, named_by, data.get("id"),
                status=data.get("status") or "schedule", cadence=cadence,
                generated=dict(data.get("generated") or {})), []


def _cadence_limits(raw: dict, problem) -> CadenceLimits:
    gap = None
    if raw.get("min_gap") is not None:
        try:
            gap = parse_duration(raw["min_gap"])
        except CadenceError as exc:
            problem(("cadence", "min_gap"), str(exc), hint="e.g. min_gap: 4h (no sign: a gap is never negative)")
    return CadenceLimits(raw.get("max_per_day"), None if gap is None or gap.is_zero else gap)


# --- writing -----------------------------------------------------------------

_PLAIN = re.compile(r"^(?:[A-Za-z_][A-Za-z0-9_.\-/]*|[0-9a-f]{64})$")
# PyYAML escapes characters beyond the BMP (emoji) in double quotes; YAML allows
# them as is, and creators want to read their emoji. Only unescaped `\U` count.
_ASTRAL_ESCAPE = re.compile(r"(?<!\\)((?:\\\\)*)\\U([0-9A-Fa-f]{8})")
_HEX_LETTER = re.compile(r"[a-df]")
_YAML_WORDS = {"y", "n", "yes", "no", "true", "false", "on", "off", "null"}


# libyaml's emitter when present (4-5x faster on big plans); both emitters write
# the same text for the plain data a plan holds. The type checker sees SafeDumper.
if TYPE_CHECKING:
    _DumperBase: TypeAlias = yaml.SafeDumper
else:
    _DumperBase = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class _Dumper(_DumperBase):
    def ignore_aliases(self, data):  # never write &anchors / *aliases
        return True


def _str(dumper: yaml.SafeDumper, value: str):
    # Plain only for simple names that YAML reads back as text; everything else
    # (captions, times, paths with spaces) double-quoted, which round-trips any text.
    plain = _PLAIN.match(value) and value.lower() not in _YAML_WORDS
    if plain and value[0].isdigit():  # a hex digest: plain only if no YAML could read a number
        plain = _HEX_LETTER.search(value) is not None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=None if plain else '"')


def _list(dumper: yaml.SafeDumper, value: list):
    flow = bool(value) and all(isinstance(v, str | int) and not isinstance(v, bool) for v in value)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", value, flow_style=flow)


def _dict(dumper: yaml.SafeDumper, value: dict):
    flow = bool(value) and len(value) <= 3 and all(
        isinstance(v, str | int | bool) and (not isinstance(v, str) or len(v) <= 24) for v in value.values()
    ) and sum(len(str(k)) + len(str(v)) for k, v in value.items()) <= 60
    return dumper.represent_mapping("tag:yaml.org,2002:map", value.items(), flow_style=flow)


_Dumper.add_representer(str, _str)
_Dumper.add_representer(list, _list)
_Dumper.add_representer(dict, _dict)


def _entry(dumper: yaml.SafeDumper, value: Entry):
    # One line per post, digests quoted alike (a bare `1e50...` would read as a number).
    node = dumper.represent_mapping("tag:yaml.org,2002:map", value.items(), flow_style=True)
    for _key, scalar in node.value:
        scalar.style = '"'
    return node


_Dumper.add_representer(Entry, _entry)

TOP_ORDER = ("version", "id", "name", "timezone", "status", "cadence", "source", "channels", "posts", "generated")


def dump_plan(document: dict, header: str) -> str:
    """YAML text of `document` (top-level keys in contract order) after `header` as comments."""
    ordered = {k: document[k] for k in TOP_ORDER if k in document}
    ordered.update({k: v for k, v in document.items() if k not in ordered})
    with no_cycle_collection():
        body = yaml.dump(ordered, Dumper=_Dumper, sort_keys=False, allow_unicode=True,
                         width=1 << 30, default_flow_style=False)
    body = _ASTRAL_ESCAPE.sub(lambda m: m.group(1) + chr(int(m.group(2), 16)), body)
    # Zero-width, bidi and odd-space characters as escapes (`\u200B`), so a reviewer sees
    # them in the file and in `git diff`. Every string holding one is double-quoted (`_str`),
    # so each sits inside double quotes, where an escape reads back as the character.
    body = yaml_escaped(body)
    # A blank line between posts keeps diffs and reviews readable.
    head, sep, rest = body.partition("\n- key:")
    body = head + sep + rest.replace("\n- key:", "\n\n- key:")
    body = body.replace("\ngenerated:\n", "\n\ngenerated:\n", 1)  # the base stands apart from the posts
    # The header quotes folder names from the workspace: never a control character in it.
    comment = "".join(f"# {printable(line)}".rstrip() + "\n" for line in header.splitlines())
    return comment + body


def dump_generated(record: dict) -> str:
    """The `generated:` section alone (key -> planner.generated.Entry), as `dump_plan` writes it."""
    with no_cycle_collection():
        return yaml.dump({"generated": record}, Dumper=_Dumper, sort_keys=False, allow_unicode=True,
                         width=1 << 30, default_flow_style=False)
