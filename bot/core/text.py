"""Normalising what people type, so names compare the way users expect."""

from __future__ import annotations

import re
import unicodedata

_NON_WORD = re.compile(r"[^0-9a-z]+")
_ORDINAL = re.compile(r"\b(\d+)(?:st|nd|rd|th)\b")
_TOKEN = re.compile(r"[0-9a-z]+")


def fold(text: str) -> str:
    """Lower-case, strip accents: 'Bogotá' and 'bogota' are the same place to a user."""
    if text.isascii():
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def normalize(text: str) -> str:
    """Fold, drop punctuation and ordinal suffixes: '211th PTC' -> '211 ptc'."""
    folded = _ORDINAL.sub(r"\1", fold(text))
    return " ".join(_NON_WORD.sub(" ", folded).split())


def tokens(text: str) -> list[str]:
    """Search tokens of a text (normalised words)."""
    return _TOKEN.findall(_ORDINAL.sub(r"\1", fold(text)))


def clean_input(text: str, limit: int) -> str:
    """What a user typed, without control characters, collapsed and cut to `limit` characters."""
    printable = "".join(ch if ch.isprintable() else " " for ch in text)
    return " ".join(printable.split())[:limit]
