"""The API key: held in a wrapper that never prints it, and scrubbed from upstream text.

The key is read once (argument or ``OPENROUTER_API_KEY``) and only :meth:`ApiKey.reveal`
returns it, for the ``Authorization`` header and nothing else. Any text that came from
the upstream (error messages, raw provider bodies) passes :func:`redact` before it is
stored in a record, because some gateways echo the key they rejected.

A key long and random enough to be a real secret is masked wherever it occurs. A short
or word-like key (``bench`` against a local server) could also be part of a model name,
an id or a sentence, so it is masked only where it stands alone: masking it inside
``bench/model-1`` would corrupt the name and protect nothing.
"""

from __future__ import annotations

import os
import re

ENV_VAR = "OPENROUTER_API_KEY"
_MASK = "[redacted]"
HINT_CHARS = 4
MIN_CHARS_FOR_HINT = 16  # a shorter secret would give away too large a share of itself
MIN_CHARS_ANYWHERE = 20  # a key this long without spaces cannot occur in other text by chance
# Keys of OpenRouter (sk-or-v1-...), OpenAI-style gateways (sk-...) and bearer tokens in echoed headers.
_KEYLIKE = re.compile(r"(sk-[A-Za-z0-9_\-]{8,}|Bearer\s+[A-Za-z0-9_\-.=]{8,})")


class ApiKey:
    """An API key whose repr, str and format never show it."""

    __slots__ = ("_standalone", "_value")

    def __init__(self, value: str) -> None:
        self._value = value.strip()
        self._standalone: re.Pattern[str] | None = None
        if not _key_shaped(self._value):
            # Not inside a word, a path, a model name (``bench/x``, ``x-bench``) or a dotted id.
            escaped = re.escape(self._value)
            self._standalone = re.compile(rf"(?<![\w\-/@:.]){escaped}(?![\w\-/@:]|\.\w)")

    def reveal(self) -> str:
        """The key itself: only for the Authorization header."""
        return self._value

    @property
    def label(self) -> str:
        """A masked label safe to print: the key's family and nothing of its secret part."""
        return "sk-or-v1-***" if self._value.startswith("sk-or-v1-") else "***"

    @property
    def hint(self) -> str:
        """A label that tells keys apart without exposing them: the family and at most the last
        four characters (none for a key too short to spare them), e.g. ``sk-or-v1-…a1b2``."""
        family = "sk-or-v1-" if self._value.startswith("sk-or-v1-") else ""
        tail = self._value[-HINT_CHARS:] if len(self._value) >= len(family) + MIN_CHARS_FOR_HINT else ""
        return f"{family}…{tail}"

    def __repr__(self) -> str:
        return f"ApiKey({self.label!r})"

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        return repr(self)

    def scrub(self, text: str) -> str:
        """``text`` with this key masked (see the module's note on short keys)."""
        if not self._value or self._value not in text:
            return text
        if self._standalone is None:
            return text.replace(self._value, _MASK)
        return self._standalone.sub(_MASK, text)

    def __bool__(self) -> bool:
        return bool(self._value)

    def __reduce__(self) -> tuple[object, ...]:
        # Pickling would write the key to wherever the pickle goes: refuse.
        raise TypeError("an ApiKey cannot be pickled")


def resolve_api_key(explicit: str | None) -> ApiKey | None:
    """The explicit key if given, else ``OPENROUTER_API_KEY``; None when neither is set."""
    raw = explicit if explicit is not None else os.environ.get(ENV_VAR)
    if raw is None or not raw.strip():
        return None
    return ApiKey(raw)


def redact(text: str, key: ApiKey | None) -> str:
    """``text`` with the key (and anything shaped like a key) replaced by a mask."""
    if key is not None:
        text = key.scrub(text)
    return _KEYLIKE.sub(_MASK, text) if "sk-" in text or "Bearer" in text else text


def _key_shaped(value: str) -> bool:
    return bool(_KEYLIKE.fullmatch(value)) or (len(value) >= MIN_CHARS_ANYWHERE and not any(c.isspace() for c in value))
