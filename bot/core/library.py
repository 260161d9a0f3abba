"""An agenda together with the indexes built from it: what the service answers from."""

from __future__ import annotations

from dataclasses import dataclass

from .model import Agenda
from .queries import AgendaIndex
from .search import SearchIndex


@dataclass(frozen=True)
class Library:
    agenda: Agenda
    index: AgendaIndex
    search: SearchIndex

    @classmethod
    def build(cls, agenda: Agenda) -> Library:
        return cls(agenda, AgendaIndex(agenda), SearchIndex(agenda))
