"""The cycle collector paused while the bot builds what lives as long as it does."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def collection_paused() -> Iterator[None]:
    """Loading an agenda or a million subscriptions makes objects by the hundred thousand that
    all live on, and no garbage: the cycle collector would walk them again and again as they
    pile up (a third of a cold load, half of reading the subscriptions). Memory is still freed
    by reference counting; a cycle made meanwhile (by this or another task) is collected once
    the collector is back on. Pauses nest: only the outermost turns it back on."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            _to_oldest()
            gc.enable()


def _to_oldest() -> None:
    """What was made while the collector was off is put with the oldest objects, as it would
    be had it been collected: the collector's next run would otherwise walk all of it as young
    (a tenth of a cold load), then again as middle-aged. Freezing and thawing at once moves it
    there without a walk; not where something else froze objects, which thawing would let go."""
    if gc.get_freeze_count() == 0:
        gc.freeze()
        gc.unfreeze()
