"""The service: loads the data set and answers every command for every adapter."""

from .agenda import AUTOCOMPLETE_LIMIT, AgendaService, OptionError
from .datafiles import BUNDLED_DATA, load_agenda

__all__ = ["AUTOCOMPLETE_LIMIT", "BUNDLED_DATA", "AgendaService", "OptionError", "load_agenda"]
