"""Caption lengths and required settings as Postiz checks them (API.md 8.2-8.4)."""

from __future__ import annotations

import pytest

from planner.providers import (
    PROVIDERS,
    caption_length,
    default_settings,
    missing_settings,
    title_from_caption,
)


def test_lengths_are_utf16_units_after_html_serialisation():
    assert caption_length("youtube", "ñ") == 1
    assert caption_length("youtube", "😀") == 2  # one code point, two UTF-16 units
    assert caption_length("youtube", "a & b") == 9  # & counts as &amp;


def test_x_takes_the_larger_of_weighted_and_raw():
    url = "https://example.com/" + "a" * 60
    assert caption_length("x", url) == len(url)  # raw wins: URL weighted 23 only
    assert caption_length("x", "漢字") == 4  # CJK weighs 2 each, raw is 2
    assert caption_length("linkedin", "漢字") == 2


@pytest.mark.parametrize("identifier", sorted(set(PROVIDERS) - {"pinterest", "reddit"}))
def test_defaults_make_every_provider_valid(identifier):
    caption = "¿Tu query tarda 8 segundos? 😱 Un índice compuesto la dejó en 40 ms #SQL"
    assert missing_settings(identifier, default_settings(identifier, caption)) == []


def test_pinterest_has_no_default_board():
    assert missing_settings("pinterest", default_settings("pinterest", "x")) == [
        "board is required by pinterest: the board id (from Postiz's `boards` tool)"]


def test_youtube_title_from_caption_fits_2_to_100():
    # Awkward captions still give a title Postiz takes (2-100 UTF-16 units, not empty).
    for caption in ("#a #b", "#x", "😀", "x #tag", "a", "   ", "x" * 300):
        derived = title_from_caption(caption)
        assert derived.strip() and 2 <= len(derived.encode("utf-16-le")) // 2 <= 100, (caption, derived)
        assert missing_settings("youtube", {"title": derived, "type": "public"}) == [], caption
    long = "palabra " * 40 + "#tag"
    title = title_from_caption(long)
    assert len(title) <= 100 and title.endswith("…") and "#tag" not in title
    assert title_from_caption("Hola 😱 #tag") == "Hola 😱"
    assert missing_settings("youtube", {"title": "x", "type": "public"}) == ["title must be at least 2 characters (has 1)"]
