"""What a reviewer reads in a pull request: `diff --format markdown` (the change set as a
comment: summary table, full values, real diffs, drift apart) and the text view's `--full`.

The Markdown is rendered with markdown-it-py (CommonMark + GFM tables), as GitHub would,
and checked on what it renders to: the table's cells, the code blocks' exact text.
"""

from __future__ import annotations

import json

from markdown_it import MarkdownIt

from support.reconcile_helpers import PlanFile, run

# A first line well past the ~70 characters the short text view keeps, changed near its end.
OLD_FIRST = "Clip 1: bases de datos sin miedo, el episodio donde explicamos índices y planes de ejecución"
NEW_FIRST = "Clip 1: bases de datos sin miedo, el episodio donde explicamos índices, vistas y planes de ejecución"
SECOND = "Segunda línea que no cambia y que también es bastante larga para pasar de setenta"
OLD_CAPTION = f"{OLD_FIRST}\n{SECOND}\n#shorts #sql"
NEW_CAPTION = f"{NEW_FIRST}\n{SECOND}\n#shorts #sql"
# A caption written to break a table and a fence: pipes, backticks, a ``` line.
HOSTILE = "Pipes | and `ticks` and\n```\nfence ``` inside | x\n````"
DASHBOARD = "Edited in the dashboard | really"


def _parser() -> MarkdownIt:
    return MarkdownIt("commonmark").enable("table")


def _cell_text(inline) -> str:
    """A cell as it reads once rendered: escapes undone, code spans as their text."""
    return "".join(t.content for t in inline.children or () if t.type in ("text", "code_inline"))


def _tables(md: str) -> list[list[list[str]]]:
    """Every table in `md`, as rows of cell texts (the header row first)."""
    tables: list[list[list[str]]] = []
    for token in _parser().parse(md):
        if token.type == "table_open":
            tables.append([])
        elif token.type == "tr_open":
            tables[-1].append([])
        elif token.type == "inline" and tables and token.level > 3:  # a th/td's content
            tables[-1][-1].append(_cell_text(token))
    return tables


def _fences(md: str) -> list[tuple[str, str]]:
    """(info, exact text) of every fenced code block."""
    return [(t.info, t.content) for t in _parser().parse(md) if t.type == "fence"]


def _section(md: str, heading: str) -> str:
    """The text under `#### heading` up to the next `####` or `###` heading."""
    rest = md.split(f"\n#### {heading}\n", 1)[1]
    return rest.split("\n#### ", 1)[0].split("\n### ", 1)[0]


HEADER = ["Plan", "+ add", "~ change", "- destroy", "! drift", "Counted requests", "Time at the rate limit"]


def test_markdown_shows_full_captions_real_diffs_and_drift_apart(sandbox_main, tmp_path):
    # The plan sits in a folder whose name holds `|` and backticks: its table cell must hold.
    plan = PlanFile(tmp_path / "pr|`7`")
    first = plan.doc["posts"][0]
    first["channels"] = ["tiktok-main", "youtube-shorts"]
    first["caption"] = OLD_CAPTION
    first["overrides"] = {"youtube-shorts": {"settings": {"title": "Bases de datos sin miedo: índices"}}}
    plan.save()
    assert run("apply", str(plan), "--auto-approve").exit_code == 0

    first["caption"] = NEW_CAPTION                                                        # 2 updates
    first["overrides"] = {"youtube-shorts": {"settings": {"title": "Bases de datos sin miedo: vistas e índices"}}}
    del plan.doc["posts"][1]                                                              # 2 deletes
    plan.doc["posts"].append({**plan.post(4), "caption": HOSTILE})                        # 2 creates
    plan.save()
    drifted = plan.state()["posts"]["clip-03@x-main"]["post_id"]
    sandbox_main.controls.dashboard_edit(drifted, content=DASHBOARD)                      # 1 drift

    shown = run("diff", str(plan), "--format", "markdown", "--detailed-exitcode")
    assert shown.exit_code == 2, shown.output
    md = shown.output
    data = json.loads(run("diff", str(plan), "--format", "json").output)
    assert json.loads(run("diff", str(plan), "--json").output)["summary"] == data["summary"]  # the old flag

    # The summary table, as rendered: one row for the plan, counts as the change set has them.
    [table] = _tables(md)
    assert table[0] == HEADER
    assert table[1:] == [[str(plan), "2", "2", "2", "1", str(data["counted_requests"]), "within the budget"]]
    assert f"Counted Postiz requests needed: **{data['counted_requests']}**, within the current budget at " \
           "1000/h, as Postiz reported." in md

    # Every caption whole in a code block, the hostile one included (so no fence broke).
    fences = _fences(md)
    assert fences.count(("text", HOSTILE + "\n")) == 2  # one per channel of the new post
    assert ("text", "Clip 2: bases de datos sin miedo #shorts\n") in fences  # the deleted post's caption

    # The changed caption as a line diff, its lines whole (not cut at ~70 characters).
    caption_diff = f"-{OLD_FIRST}\n+{NEW_FIRST}\n {SECOND}\n #shorts #sql\n"
    assert fences.count(("diff", caption_diff)) == 2
    # The one-line title word by word: the old and the new title whole, the added words marked.
    assert ("diff", "-Bases de datos sin miedo: índices\n+Bases de datos sin miedo: {+vistas e+} índices\n") \
        in fences

    # Drift in its own section, and only there.
    changes = _section(md, "Changes: 2 to add, 2 to change, 2 to destroy")
    drift = _section(md, "Edited in the dashboard (drift): 1")
    assert "clip-03@x-main" in drift and "clip-03" not in changes
    assert "was edited in Postiz: kept" in drift
    assert ("diff", f"-[-Clip 3: bases de datos sin miedo #shorts-]\n+{{+{DASHBOARD}+}}\n") in fences
    assert "`cliper-sched pull PLAN`" in drift
    for address in ("clip-04@tiktok-main", "clip-04@x-main", "clip-01@tiktok-main", "clip-01@youtube-shorts",
                    "clip-02@tiktok-main", "clip-02@x-main"):
        assert f"`{address}`" in changes, address
    assert "`2031-03-01T11:00-06:00`" in changes  # times in the plan's zone

    html = _parser().render(md)
    assert html.count("<table>") == 1 and '<code class="language-diff">' in html


def test_markdown_folds_long_lists_and_shows_plans_that_failed(sandbox_main, tmp_path):
    plan = PlanFile(tmp_path, posts=11)  # 22 posts to create
    md = run("diff", str(plan), "--format", "markdown").output
    assert "#### Changes: 22 to add, 0 to change, 0 to destroy\n\n<details><summary>22 posts</summary>\n" in md
    assert md.rstrip().endswith("</details>")
    [table] = _tables(md)
    assert table[1][:4] == [str(plan), "22", "0", "0"]

    # Several plans in one run, one of which could not be compared (the renderer's contract
    # for multi-plan runs): an error row that keeps its `|`, then a total row.
    from planner.commands import markdown

    md = markdown.render([], failures=[("plans/a.yaml", "no such | file"), ("plans/b|c.yaml", "bad `yaml`")],
                         totals={"counted": 0, "counted_min": 0, "eta_seconds": 0.0, "rate": "30/h, assumed"})
    [table] = _tables(md)
    assert table[1:] == [["plans/a.yaml", "—", "—", "—", "—", "—", "error: no such | file"],
                         ["plans/b|c.yaml", "—", "—", "—", "—", "—", "error: bad `yaml`"],
                         ["Total", "0", "0", "0", "0", "0", "within the budget"]]


def test_text_full_shows_whole_captions_and_a_line_diff(sandbox_main, plan):
    plan.doc["posts"][0]["caption"] = OLD_CAPTION
    plan.save()
    assert run("apply", str(plan), "--auto-approve").exit_code == 0
    plan.doc["posts"][0]["caption"] = NEW_CAPTION
    plan.doc["posts"].append({**plan.post(4), "caption": NEW_CAPTION})
    plan.save()

    short = run("diff", str(plan)).output
    assert NEW_FIRST not in short and "…" in short  # the default stays cut at ~70 characters

    full = run("diff", str(plan), "--full").output
    assert ("  ~ clip-01@tiktok-main" in full
            and f"      content:\n        - {OLD_FIRST}\n        + {NEW_FIRST}\n          {SECOND}\n"
                "          #shorts #sql\n" in full), full
    assert f"      content:\n        {NEW_FIRST}\n        {SECOND}\n        #shorts #sql\n" in full  # a create
    sha = plan.doc["posts"][3]["media"]["sha256"]
    assert f"media:    output/ep12/4.mp4 (sha256:{sha})" in full  # the whole checksum

    applied = run("apply", str(plan), "--auto-approve", "--full")
    assert applied.exit_code == 0 and f"        + {NEW_FIRST}\n" in applied.output
