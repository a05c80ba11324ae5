"""X's weighted caption length (twitter-text v3, as Postiz counts it), loaded lazily.

twitter-text-parser 3.0 reads its emoji table with `pkg_resources.resource_string`,
from setuptools, which it does not declare: setuptools is absent from Python 3.12+
venvs and newer releases drop `pkg_resources`, and importing it costs ~0.15 s. The
one call it makes is served here by `importlib.resources` for the duration of that
import; a `pkg_resources` already imported by someone else is left alone.
"""

from __future__ import annotations

import sys
import types
import unicodedata
from collections.abc import Callable
from typing import Any


def _resource_string(module: str, name: str) -> bytes:
    from importlib import resources  # ~10 ms to import: only when twitter-text is loaded
    # pkg_resources resolves `name` beside the module; importlib.resources wants its package.
    spec = sys.modules[module].__spec__
    package = module if spec is not None and spec.submodule_search_locations is not None else module.rpartition(".")[0]
    return resources.files(package).joinpath(name).read_bytes()


def parse_tweet() -> Callable[[str], Any]:
    """`twitter_text.parse_tweet`, imported on first use (it compiles large regexes)."""
    if "twitter_text.parse_tweet" not in sys.modules and "pkg_resources" not in sys.modules:
        shim = types.ModuleType("pkg_resources")
        shim.resource_string = _resource_string  # type: ignore[attr-defined]
        sys.modules["pkg_resources"] = shim
        try:
            import twitter_text  # noqa: F401
        finally:
            del sys.modules["pkg_resources"]
    from twitter_text import parse_tweet as parse

    return parse


def weighted_length(text: str) -> int:
    return parse_tweet()(text).weightedLength


# twitter-text v3's weights (its config.py; tests/plan/test_providers.py checks them):
# a code point weighs 1 or 2, an emoji sequence 2 in all, a URL 23 whatever its length.
MAX_CHAR_WEIGHT = 2
URL_WEIGHT = 23


def surely_within(text: str, limit: int) -> bool:
    """True when `text` cannot weigh more than `limit`, decided without twitter-text, whose
    import compiles regexes for ~0.13 s of every command that checks an X caption.

    An upper bound of the weighted length: twitter-text counts the NFC form, in which no
    code point weighs more than 2, and a URL weighs 23 in place of its characters; every
    URL it finds has a '.' in its domain, and URLs do not overlap, so there are no more
    URLs than dots. A caption over the bound is weighed by twitter-text itself."""
    return weight_bound(text) <= limit


def weight_bound(text: str) -> int:
    """What `text` weighs at most (surely_within says why)."""
    nfc = unicodedata.normalize("NFC", text)
    return MAX_CHAR_WEIGHT * len(nfc) + URL_WEIGHT * nfc.count(".")
