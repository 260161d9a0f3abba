"""Normalising what people type, so names compare the way users expect."""

from __future__ import annotations

import re
import unicodedata

_NON_WORD = re.compile(r"[^0-9a-z]+")
_ORDINAL = re.compile(r"\b([0-9]+)(?:st|nd|rd|th)\b")
DIGITS = "[0-9]"  # in patterns that read numbers people typed: ASCII digits only, as int() wants
_TOKEN = re.compile(r"[0-9a-z]+")


def fold(text: str) -> str:
    """Lower-case, strip accents: 'Bogotá' and 'bogota' are the same place to a user."""
    if text.isascii():
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


# Words that carry no name: left out of search terms, and not needed for a name to match.
# The agenda is bilingual (English and French), so are these.
STOPWORDS = frozenset(
    {"a", "an", "and", "at", "by", "for", "from", "in", "is", "of", "on", "or", "the", "to"}
    | {"d", "de", "des", "du", "en", "et", "l", "la", "le", "les", "sur"}
)


def normalize(text: str) -> str:
    """Fold, drop punctuation and ordinal suffixes: '211th PTC' -> '211 ptc'."""
    folded = _ORDINAL.sub(r"\1", fold(text))
    return " ".join(_NON_WORD.sub(" ", folded).split())


def slug(text: str, limit: int) -> str:
    """An id made from a name: normalised words joined by hyphens, at most `limit` characters
    ('' when no letter or digit is left)."""
    return "-".join(normalize(text).split())[:limit].strip("-")


def tokens(text: str) -> list[str]:
    """Search tokens of a text (normalised words)."""
    return _TOKEN.findall(_ORDINAL.sub(r"\1", fold(text)))


def clean_input(text: str, limit: int) -> str:
    """What a user typed, without control characters, collapsed and cut to `limit` characters."""
    printable = (
        text if text.isprintable() else "".join(ch if ch.isprintable() else " " for ch in text)
    )
    return " ".join(printable.split())[:limit]


def whole_number(text: str, low: int = 0, high: int = 10**9) -> int | None:
    """The whole number `text` spells in ASCII digits (spaces around it allowed) when it lies
    within [low, high]; None for anything else. `'²'.isdigit()` and `'٣'.isdigit()` are true
    and `int()` reads only the second: every number read from what people type comes here."""
    value = text.strip()
    if not value or len(value) > 12 or not (value.isascii() and value.isdigit()):
        return None
    number = int(value)
    return number if low <= number <= high else None
