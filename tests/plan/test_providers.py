"""Caption lengths and required settings as Postiz checks them (docs/postiz-api.md §13-§14)."""

from __future__ import annotations

import json

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from planner.providers import (
    PROVIDERS,
    caption_length,
    caption_length_over,
    default_settings,
    missing_settings,
    title_from_caption,
)
from planner.sandbox import providers as sandbox_providers
from planner.sandbox.server import COMPAT_MODES
from planner.xtext import weighted_length


def test_lengths_are_utf16_units_after_html_serialisation():
    assert caption_length("youtube", "ñ") == 1
    assert caption_length("youtube", "😀") == 2  # one code point, two UTF-16 units
    assert caption_length("youtube", "a & b") == 9  # & counts as &amp;


def test_x_takes_the_larger_of_weighted_and_raw():
    url = "https://example.com/" + "a" * 60
    assert caption_length("x", url) == len(url)  # raw wins: URL weighted 23 only
    assert caption_length("x", "漢字") == 4  # CJK weighs 2 each, raw is 2
    assert caption_length("linkedin", "漢字") == 2


# Pieces that move twitter-text's weight away from the plain count: URLs with and without a
# scheme, a bare t.co, dots, CJK, emoji sequences (skin tone, flag, keycap, ZWJ family),
# characters NFC decomposes (U+0958) or composes (e + U+0301), and © (an emoji alone).
_X_PIECES = ["https://example.com/a", "example.com", "x.com", "t.co", "https://t.co/a", "www.x.mx/p?q=1", ".", "..", " ", "a", "ñ",
             "漢字", "😀", "👍🏽", "🇲🇽", "#️⃣", "👨‍👩‍👧", "\u0958", "e\u0301", "©", "\n", "\r\n", "&", "<"]
x_texts = st.one_of(st.lists(st.sampled_from(_X_PIECES), max_size=80).map("".join),
                    st.text(st.characters(blacklist_categories=("Cs",)), max_size=200))


@settings(max_examples=400, deadline=None)
@given(text=x_texts, offset=st.integers(-40, 40))
@example(text="http://localhost/x " * 8, offset=0)  # a URL without a dot is no URL to twitter-text
@example(text="example．com " * 10, offset=-1)  # nor is a fullwidth dot
@example(text="x.com " * 12, offset=-1)
@example(text="漢" * 141, offset=-1)  # every code point weighs 2: the bound is exact, no slack allowed
def test_an_x_caption_is_only_let_through_unweighed_when_it_surely_fits(text, offset):
    """`validate` (and the sandbox) skip twitter-text when a cheap bound proves the caption
    fits: whatever the text, they report exactly what weighing it reports."""
    from planner.xtext import weight_bound

    full = caption_length("x", text)
    limit = max(0, full + offset)  # near the caption's weight, where a wrong short cut shows
    assert caption_length_over("x", text, limit) == (full if full > limit else None)
    # The sandbox takes the same short cut when it checks a post as Postiz would.
    assert sandbox_providers.content_over("x", text, limit) == (sandbox_providers.content_length("x", text) > limit)
    assert weighted_length(text) <= weight_bound(text)  # the bound is one: nothing weighs more


def test_the_bound_uses_twitter_texts_own_weights():
    from planner.xtext import MAX_CHAR_WEIGHT, URL_WEIGHT, parse_tweet

    parse_tweet()  # imports twitter_text (without pkg_resources)
    from twitter_text.config import config

    options = config["defaults"]
    heaviest = max([options["default_weight"], *(r["weight"] for r in options["ranges"])])
    # validate's bound, and the sandbox's copy of it (it may not import the tool's code)
    for char, url in ((MAX_CHAR_WEIGHT, URL_WEIGHT),
                      (sandbox_providers.X_MAX_CHAR_WEIGHT, sandbox_providers.X_URL_WEIGHT)):
        assert options["transformed_url_length"] == url
        assert heaviest / options["scale"] == char


# -- defaults, judged by the sandbox's copy of Postiz's settings DTOs ---------------------
# The oracle is planner/sandbox (class-validator rules per provider, with Postiz's implicit
# type conversion), not the tool's own table of required settings.

CAPTIONS = (
    "¿Tu query tarda 8 segundos? 😱 Un índice compuesto la dejó en 40 ms #SQL",
    "#a #b",  # hashtags only: youtube still needs a 2+ character title
    "palabra " * 40 + "😱 #tag",  # past youtube's 100-character title limit
)
NO_DEFAULT = {"pinterest", "reddit"}  # they need a board id / subreddit only the user knows
ON_POSTIZ = [(p, compat) for p in sorted(PROVIDERS) for compat in COMPAT_MODES
             if sandbox_providers.has_provider(p, compat)]  # v2.23.0 had no tiktok-business


def postiz_verdict(identifier: str, settings: dict, compat: str) -> tuple[list[str], dict]:
    """(Postiz's messages, the settings Postiz would store) for settings as the tool sends them."""
    stored = {**json.loads(json.dumps(settings)), "__type": identifier}  # over the wire: JSON
    sandbox_providers.coerce_settings(identifier, stored, compat)  # "false" -> true and the like
    return sandbox_providers.validate_settings(identifier, stored, "settings.", compat), stored


@pytest.mark.parametrize(("identifier", "compat"),
                         [pc for pc in ON_POSTIZ if pc[0] not in NO_DEFAULT])
def test_defaults_are_accepted_by_postiz_and_stored_as_sent(identifier, compat):
    for caption in CAPTIONS:
        defaults = default_settings(identifier, caption)
        problems, stored = postiz_verdict(identifier, defaults, compat)
        assert problems == [], (caption, defaults)
        # Stored unchanged, or every later diff would show a change the user never made.
        assert stored == {**defaults, "__type": identifier}, caption
        # Postiz keeps unknown keys without a word, so a misspelt default would
        # silently do nothing: every default must be a setting Postiz knows.
        assert set(defaults) <= sandbox_providers.known_setting_keys(identifier) - {"__type"}


@pytest.mark.parametrize(("identifier", "compat"), [pc for pc in ON_POSTIZ if pc[0] in NO_DEFAULT])
def test_without_a_default_postiz_refuses_and_the_tool_says_so_before_sending(identifier, compat):
    defaults = default_settings(identifier, CAPTIONS[0])
    assert postiz_verdict(identifier, defaults, compat)[0] != []
    assert missing_settings(identifier, defaults) != []  # caught by plan/validate, not by apply


@pytest.mark.parametrize("identifier", sorted(p for p in PROVIDERS if default_settings(p, "x")))
def test_the_oracle_judges_every_default_value(identifier):
    # The acceptance above only means something if spoiling any one default makes
    # Postiz refuse the post, or store something other than what was sent.
    defaults = default_settings(identifier, CAPTIONS[0])
    for key, value in defaults.items():
        spoilt = {**defaults, key: [value]}  # right value, wrong JSON type
        problems, stored = postiz_verdict(identifier, spoilt, "main")
        assert problems or stored[key] != spoilt[key], key
    # Unknown keys, though, are kept, as Postiz keeps them (docs/postiz-api.md §8.4): hence the
    # known-keys check above.
    problems, stored = postiz_verdict(identifier, {**defaults, "cliper_junk": "x"}, "main")
    assert problems == [] and stored["cliper_junk"] == "x"


@pytest.mark.parametrize("compat", COMPAT_MODES)
def test_a_post_with_only_the_defaults_is_created_over_http(tmp_path, compat):
    """End to end: POST /public/v1/posts with the defaults answers 201 and keeps them."""
    from support.sandbox import PublicApi, running_sandbox

    providers = [p for p, c in ON_POSTIZ if c == compat and p not in NO_DEFAULT]
    channels = [(p, f"{p}-test") for p in providers]
    video = [{"id": "m1", "path": "http://127.0.0.1/uploads/2030/01/01/clip.mp4"}]
    with running_sandbox(tmp_path, channels=channels, compat=compat, limit=1000) as sb:
        api = PublicApi(sb)
        for provider in providers:
            defaults = default_settings(provider, CAPTIONS[0])
            entry = api.entry(f"{provider}-test", content=CAPTIONS[0], settings=defaults,
                              image=video if PROVIDERS[provider].needs_media else [])
            response = api.create(entry)
            assert response.status_code == 201, (provider, response.text)
            post_id = response.json()[0]["postId"]
            row = next(r for r in api.controls.rows() if r["id"] == post_id)
            assert json.loads(row["settings"]) == {**defaults, "__type": provider}, provider


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
