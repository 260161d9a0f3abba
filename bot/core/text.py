"""Normalising what people type, so names compare the way users expect."""

from __future__ import annotations

import re
import unicodedata
from operator import itemgetter

_NON_WORD = re.compile(r"[^0-9a-z]+")
# An ordinal: a number starting a word, its suffix ending it ('211th'). The lookbehind after the
# first digit is the word boundary before it: a pattern led by a character class is scanned for
# at C speed, where a leading \b was tried at every position (half of reading a large agenda's
# texts for the search index).
_ORDINAL = re.compile(r"([0-9](?<!\w[0-9])[0-9]*)(?:st|nd|rd|th)\b")
# What every ordinal contains: a cheap search (it starts with a character class) that spares
# most texts the costlier one (a word boundary tried at every position).
_MAY_HAVE_ORDINAL = re.compile(r"[0-9](?:st|nd|rd|th)")
_DIGITS_OF = itemgetter(1)  # an ordinal's number: called in C (r"\1" is expanded in Python)
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
    """Fold, drop punctuation and ordinal suffixes: '211th PTC' -> '211 ptc'. The same as
    " ".join(tokens(text)) (what NameIndex makes of many names at once)."""
    folded = _without_ordinals(fold(text))
    return " ".join(_NON_WORD.sub(" ", folded).split())


def slug(text: str, limit: int) -> str:
    """An id made from a name: normalised words joined by hyphens, at most `limit` characters
    ('' when no letter or digit is left)."""
    return "-".join(normalize(text).split())[:limit].strip("-")


def tokens(text: str) -> list[str]:
    """Search tokens of a text (normalised words)."""
    return _TOKEN.findall(_without_ordinals(fold(text)))


END = "\x00"  # ends each text's tokens in tokens_of_each
# One run of characters (the fast path of the regex engine): END stands between spaces, and no
# text holds it, so it is a token of its own.
_TOKEN_OR_END = re.compile(r"[0-9a-z\x00]+")


# ASCII that is not a token's: a space. For ASCII text, translating and splitting at spaces
# gives what _TOKEN_OR_END.findall does, in a third of the time.
_SPACED = str.maketrans({chr(c): " " for c in range(128) if not _TOKEN_OR_END.fullmatch(chr(c))})


def tokens_of_each(texts: list[str]) -> list[str] | None:
    """The tokens of every text, each text's followed by END, read in one pass in C; None when
    a text holds END itself. What `tokens` gives each: END, between spaces, is no part of a
    word or a number, and a word boundary as the start or end of a text is."""
    joined = " \x00 ".join(texts) + " \x00"
    # fold() of ASCII text is lower(), character by character: the whole at once.
    joined = joined.lower() if joined.isascii() else " \x00 ".join(map(fold, texts)) + " \x00"
    if joined.count(END) != len(texts):
        return None
    joined = _without_ordinals(joined)
    if joined.isascii():
        return joined.translate(_SPACED).split()
    return _TOKEN_OR_END.findall(joined)


_NAMES_AT_ONCE = 4096


def names_each(texts: list[str]) -> list[str]:
    """normalize() of each text, read together, a few thousand at a time: the tokens of all
    of a large agenda's names at once (a string each) were the peak of building its search
    index, some 40 MB at 100,000 meetings (issue 16)."""
    names: list[str] = []
    for start in range(0, len(texts), _NAMES_AT_ONCE):
        part = texts[start : start + _NAMES_AT_ONCE]
        found = tokens_of_each(part)
        if found is None:
            names += map(normalize, part)
        else:
            names += map(str.strip, " ".join(found).split(END)[:-1])
    return names


def _without_ordinals(folded: str) -> str:
    """'211th' -> '211' (whole words only)."""
    return _ORDINAL.sub(_DIGITS_OF, folded) if _MAY_HAVE_ORDINAL.search(folded) else folded


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
