"""Did-you-mean hints for names a user typed: providers, models, keys, ids.

Standard library only, so any layer (and the CLI at start-up) can use it.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def closest(word: str, choices: Iterable[str], *, cutoff: float = 0.6) -> str | None:
    """The choice most like ``word``, if any is close enough; case is ignored when comparing."""
    by_lower: dict[str, str] = {}
    for choice in choices:
        by_lower.setdefault(choice.lower(), choice)
    found = difflib.get_close_matches(word.lower(), sorted(by_lower), n=1, cutoff=cutoff)
    return by_lower[found[0]] if found else None


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """``"; did you mean 'x'?"`` when one choice is close to ``word``, else ``""``."""
    close = closest(word, choices)
    return f"; did you mean '{close}'?" if close else ""
