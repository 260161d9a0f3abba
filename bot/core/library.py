"""An agenda together with the indexes built from it: what the service answers from."""

from __future__ import annotations

from dataclasses import dataclass, field

from .model import Agenda
from .queries import AgendaIndex
from .search import SearchIndex


@dataclass(frozen=True)
class Library:
    """The search index is the costliest to build and the least often used: an agenda rebuilt
    after an edit builds it at the first search (`searched=False`)."""

    agenda: Agenda
    index: AgendaIndex
    _search: SearchIndex | None = field(default=None, repr=False)

    @classmethod
    def build(cls, agenda: Agenda, searched: bool = True) -> Library:
        return cls(agenda, AgendaIndex(agenda), SearchIndex(agenda) if searched else None)

    @property
    def has_search(self) -> bool:
        return self._search is not None

    @property
    def search(self) -> SearchIndex:
        if self._search is None:
            object.__setattr__(self, "_search", SearchIndex(self.agenda))
        assert self._search is not None
        return self._search
