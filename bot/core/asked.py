"""What a command is answered from (`Asked`), shared by the modules that answer them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from .formatting import TimeStyle
from .library import Library
from .render import Renderer
from .versions import VersionTable


@dataclass(frozen=True, slots=True)
class Asked:
    """What a command is answered from: the agenda as known now (built when first needed),
    now, the adapter's way of showing times; and, where the service has them, every version of
    every meeting (lists at any instant without folding the agenda) and the whole agenda (its
    bodies and topics, for names)."""

    view: Library | Callable[[], Library]
    now: datetime
    times: TimeStyle
    versions: VersionTable | None = None
    whole: Library | None = None

    @property
    def library(self) -> Library:
        return self.view if isinstance(self.view, Library) else self.view()

    @property
    def names(self) -> Library:
        """Where bodies and topics are looked up by name: they do not change over time."""
        return self.whole or self.library

    @property
    def render(self) -> Renderer:
        return Renderer(self.library.agenda, self.times)


def command_text(name: str, **options: str | None) -> str:
    parts = [f"/{name}"]
    parts += [f"{key}:{value}" for key, value in options.items() if value]
    return " ".join(parts)
