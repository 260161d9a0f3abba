"""Where each subscription held as columns is: its scope and its channel, by position, so
that a caller's subscriptions are found with numpy rather than by walking every row."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from .followers import ScopeRows


class RowPlaces:
    """Which scope holds each position (-1: a hole), and each position's channel as a number
    (made when first asked): made from every scope's positions at once, then kept up to date
    row by row, so that a subscription made between two /reminders does not make it again
    (about 60 ms at a million)."""

    def __init__(self, scopes: list[ScopeRows], size: int) -> None:
        self.scopes = scopes
        self._numbers = {id(held): n for n, held in enumerate(self.scopes)}
        sizes = np.array([len(held) for held in self.scopes], dtype=np.int64)
        self.size = size
        self._scope_of = np.full(self.size, -1, dtype=np.int64)
        if self.scopes:
            every = np.concatenate(
                [np.frombuffer(held.positions, np.int64) for held in self.scopes]
            )
            self._scope_of[every] = np.repeat(np.arange(len(self.scopes), dtype=np.int64), sizes)
        self._channel_numbers: dict[str, int] = {}
        self._channels: npt.NDArray[np.int64] | None = None

    @property
    def scope_of(self) -> npt.NDArray[np.int64]:
        return self._scope_of[: self.size]

    def in_channel(self, channels: list[str], channel_id: str) -> npt.NDArray[np.bool_]:
        if self._channels is None:
            numbers = self._channel_numbers = {c: n for n, c in enumerate(set(channels))}
            self._channels = np.full(len(self._scope_of), -1, dtype=np.int64)  # as much room
            self._channels[: self.size] = np.fromiter(
                map(numbers.__getitem__, channels), np.int64, self.size
            )
        number = self._channel_numbers.get(channel_id)
        if number is None:
            return np.zeros(self.size, dtype=bool)
        return self._channels[: self.size] == number

    def place(self, position: int, held: ScopeRows, channel: str) -> None:
        if position >= len(self._scope_of):  # appended: room for as many again
            grown = max(2 * len(self._scope_of), 1024)
            self._scope_of = np.resize(self._scope_of, grown)
            if self._channels is not None:
                self._channels = np.resize(self._channels, grown)
        self.size = max(self.size, position + 1)
        number = self._numbers.get(id(held))
        if number is None:
            number = self._numbers[id(held)] = len(self.scopes)
            self.scopes.append(held)
        self._scope_of[position] = number
        if self._channels is not None:
            numbers = self._channel_numbers
            self._channels[position] = numbers.setdefault(channel, len(numbers))

    def remove(self, position: int) -> None:
        self._scope_of[position] = -1
