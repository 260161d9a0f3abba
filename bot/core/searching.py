"""/search answered: words ranked by relevance, with what a delegate means by some of them. A
date names a period ("March 2016", "next week"); "who ..." asks for people; "next ..." for the
soonest meetings still to come with every other word."""

from __future__ import annotations

from dataclasses import replace

from .asked import Asked, command_text
from .commands import MAX_INPUT
from .periods import FRAMES, find_period
from .queries import Page
from .reply import Reply, error
from .search import Hit, SearchResult
from .text import clean_input, normalize, tokens

_WHO = frozenset({"who", "whom", "qui"})
_NEXT = frozenset({"next", "upcoming", "prochain", "prochaine", "prochains", "prochaines"})
_CLOSE_ENOUGH = 0.6  # of the best score: a person that far behind is not who was asked for


def search(asked: Asked, query: str = "", page: int = 1) -> Reply:
    text = clean_input(query, MAX_INPUT)
    if not any(ch.isalnum() for ch in text):
        return error(
            "What should I look for?", "Give some words, for example `/search future of customs`."
        )
    asks_who, rest = _asks_who(text)
    agenda = asked.library.agenda
    period, words = find_period(rest, asked.now)
    if (
        period is not None
        and not period.relative
        and not any(map(period.holds, agenda.meetings.values()))
    ):
        period = None  # no meeting in it at all ("the 1999 protocol"): the date is just words
    coming = _asks_next(rest) if period is None else None
    held: frozenset[str] = frozenset()
    if period is not None:
        held = frozenset(m.id for m in agenda.meetings.values() if period.holds(m))
        result = _in_period(asked, text, held, words, asks_who)
    elif coming is not None:
        result = _coming(asked, text, coming)
    else:
        ranked = asked.library.search.search(rest)
        # Made as it is rather than by dataclasses.replace, which looks up its fields each time.
        result = SearchResult(text, ranked.terms, ranked.corrected, ranked.hits)
    if asks_who and result.terms:
        result = _people_first(asked, result, words if period is not None else rest)
    found = Page.of(result.hits, page)
    command = command_text("search", query=text)
    within = period.label if period is not None else ""
    return asked.render.search(result, found, asked.now, command, within, coming is not None, held)


def _asks_who(text: str) -> tuple[bool, str]:
    """Whether a question asks for people ("who chaired the PTC", "qui a présidé le CTP"), and
    the rest of it to search for."""
    first, _, rest = text.strip().partition(" ")
    if normalize(first) in _WHO and any(ch.isalnum() for ch in rest):
        return True, rest
    return False, text


def _asks_next(text: str) -> str | None:
    """The words after "next" ("next PTC", "prochaine réunion du CTP" gives "ctp"), if the
    question starts so."""
    typed = tokens(text)
    if not typed or typed[0] not in _NEXT:
        return None
    words = " ".join(w for w in typed[1:] if w not in FRAMES)
    return words or None


def _coming(asked: Asked, text: str, words: str) -> SearchResult:
    """The meetings not yet over of the body `words` name ("next PTC"), else that have every
    one of `words`, soonest first (those known by their month or year after those with a day);
    none if nothing coming is so."""
    library = asked.library
    body = library.index.bodies.exact(words)
    if len(body) == 1:
        found = SearchResult(words, tuple(words.split()), {}, ())
        chosen = library.index.scoped(body[0])
    else:
        found = library.search.search(words, limit=None, every_word=True)
        chosen = [library.agenda.meetings[h.id] for h in found.hits if h.kind == "meeting"]
    coming = [m for m in chosen if not m.when.has_ended(asked.now)]
    # On the same day, the body's own session before a joint one it leads or shares.
    coming.sort(key=lambda m: (not m.when.precision.has_day, m.when.sort_key(), len(m.bodies)))
    hits = tuple(Hit("meeting", m.id, 0.0) for m in coming)
    return SearchResult(text, found.terms, found.corrected, hits)


def _in_period(
    asked: Asked, text: str, held: frozenset[str], words: str, asks_who: bool
) -> SearchResult:
    """The meetings of a period, and who did something at them: those the other words find,
    best first; without other words, every meeting of the period in order (and, for "who",
    the people first)."""
    agenda = asked.library.agenda
    acted = {p.id for p in agenda.people.values() if any(r.meeting in held for r in p.roles)}
    # Meetings whose days are known come first; one known by its month or year only may fall
    # in the period, and follows.
    vague = {i for i in held if not agenda.meetings[i].when.precision.has_day}
    if not any(ch.isalnum() for ch in words):
        ordered = [m.id for m in asked.library.index.scoped() if m.id in held]
        ordered.sort(key=lambda i: i in vague)
        people = [Hit("person", p, 0.0) for p in agenda.people if p in acted] if asks_who else []
        meetings = [Hit("meeting", i, 0.0) for i in ordered]
        return SearchResult(text, (), {}, (*people, *meetings))
    found = asked.library.search.search(words, limit=None)
    hits = sorted(
        (
            h
            for h in found.hits
            if (h.kind == "meeting" and h.id in held) or (h.kind == "person" and h.id in acted)
        ),
        key=lambda h: h.kind == "meeting" and h.id in vague,
    )
    return SearchResult(text, found.terms, found.corrected, tuple(hits))


def _people_first(asked: Asked, result: SearchResult, words: str) -> SearchResult:
    """ "who ...": the people with every other word come first, else those scoring close to
    the best; a person matching one word of several is not who was asked for."""
    people = [h for h in result.hits if h.kind == "person"]
    if not people:
        return result
    every = asked.library.search.search(words, limit=None, every_word=True).hits
    complete = {h.id for h in every if h.kind == "person"}
    top = max(h.score for h in result.hits)
    chosen = [h for h in people if h.id in complete] or [
        h for h in people if h.score >= _CLOSE_ENOUGH * top
    ]
    rest = [h for h in result.hits if h not in chosen]
    return replace(result, hits=(*chosen, *rest))
