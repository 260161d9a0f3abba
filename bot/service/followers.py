"""Every subscription held as columns, so that a million of them fit in tens of MB.

A row object per subscription cost about 270 bytes at a million (the object, its own owner
string, its own copies of the channel and guild ids, its own leads tuple and integers). Here a
subscription is an entry in each of a few arrays: its id, its owner as a number, its delivery
as a byte, shared references to its guild, channel and leads, and its creation time; each
scope holds the positions of its subscriptions in those arrays.
"""

from __future__ import annotations

import contextlib
import itertools
from array import array
from bisect import bisect_left, insort
from collections import Counter
from collections.abc import Iterator, Sequence
from operator import itemgetter, methodcaller
from typing import Any

import numpy as np

from bot.storage import Delivery, ScopeKind, SubscriptionColumns, SubscriptionRow
from bot.storage.columns import SCOPE_SEPARATOR

from .row_places import RowPlaces

DELIVERIES = tuple(Delivery)
DELIVERY_CODES: dict[str, int] = {d.value: n for n, d in enumerate(DELIVERIES)}
DM = DELIVERY_CODES[Delivery.DM.value]
_DISCORD = "discord:"
_DIGITS = itemgetter(slice(len(_DISCORD), None))
_IS_DISCORD = methodcaller("startswith", _DISCORD)
_LEADING_ZERO = methodcaller("startswith", "0")


class Shared(dict[Any, Any]):
    """One copy of each repeated value (guild and channel ids, leads): the driver gives each
    row its own string, and a million copies of the same few thousand ids add up."""

    def __missing__(self, key: Any) -> Any:
        self[key] = key
        return key


class LeadsOf(dict[str | None, tuple[int, ...]]):
    """The stored leads text ("10080,1440") as one shared tuple of minutes per distinct text."""

    def __missing__(self, key: str | None) -> tuple[int, ...]:
        value = tuple(int(part) for part in key.split(",")) if key else ()
        self[key] = value
        return value


class Numbers(dict[tuple[str, str], int]):
    """A number for each scope, given in the order scopes are first seen."""

    def __init__(self) -> None:
        super().__init__()
        self.keys_in_order: list[tuple[str, str]] = []

    def __missing__(self, key: tuple[str, str]) -> int:
        self[key] = number = len(self.keys_in_order)
        self.keys_in_order.append(key)
        return number


class ScopeTexts(dict[str, int]):
    """The number of a scope written as one text ("meeting\x1eM1", see storage.columns), split
    once per distinct text."""

    def __init__(self, numbers: Numbers) -> None:
        super().__init__()
        self._numbers = numbers

    def __missing__(self, text: str) -> int:
        kind, separator, scope_id = text.partition(SCOPE_SEPARATOR)
        if not separator:
            raise ValueError(f"not a scope: {text!r}")
        self[text] = number = self._numbers[(kind, scope_id)]
        return number


class Owners:
    """Owners as numbers: a Discord owner ("discord:<snowflake>") is its snowflake; anything
    else ("console") is a negative index into a short list, so every owner reads back as the
    very string stored."""

    def __init__(self) -> None:
        self._others: list[str] = []
        self._other_codes: dict[str, int] = {}

    def code(self, owner: str) -> int:
        number = _snowflake(owner)
        if number is not None:
            return number
        found = self._other_codes.get(owner)
        if found is None:
            self._others.append(owner)
            found = self._other_codes[owner] = -len(self._others)
        return found

    def codes(self, owners: Sequence[str]) -> Sequence[int]:
        """Codes of many owners: when all are "discord:" and ASCII digits without a leading
        zero, as they usually are, without a Python step per owner."""
        digits = list(map(_DIGITS, owners))
        joined = "".join(digits)
        if (
            all(map(_IS_DISCORD, owners))
            and joined.isascii()
            and joined.isdigit()  # no sign, space or underscore, which int() would take
            and not any(map(_LEADING_ZERO, digits))
        ):
            with contextlib.suppress(ValueError, OverflowError):  # "discord:", or too large
                return array("q", map(int, digits))
        return [self.code(owner) for owner in owners]

    def known_code(self, owner: str) -> int | None:
        """The code of `owner` without adding it: None for an owner never seen."""
        number = _snowflake(owner)
        return number if number is not None else self._other_codes.get(owner)

    def owner(self, code: int) -> str:
        return f"{_DISCORD}{code}" if code >= 0 else self._others[-code - 1]


class ScopeRows:
    """Where one scope's subscriptions are in the columns, and the leads they ask for."""

    __slots__ = ("kind", "lead_counts", "positions", "scope_id")

    def __init__(self, kind: ScopeKind, scope_id: str) -> None:
        self.kind = kind
        self.scope_id = scope_id
        self.positions = array("q")  # ascending, so their ids ascend too
        # How many subscriptions ask for each lead of their own: planning asks this for every
        # meeting, so it must not walk the rows.
        self.lead_counts: Counter[int] = Counter()

    def __len__(self) -> int:
        return len(self.positions)


class Subscribers:
    """Every subscription as columns in id order, and per scope the positions of its own.

    Loading appends whole columns at a time (each in one C-level call where the values allow)
    and one position per row; rows are grouped by scope only through those positions, since a
    batch from the database mixes thousands of scopes. A removed row leaves a hole (delivery
    HOLE) until holes are a quarter of the columns, then the columns are packed again.
    """

    HOLE = 255

    def __init__(self) -> None:
        self.owners = Owners()
        self._shared = Shared()
        self._leads_of = LeadsOf()
        self._empty()

    def _empty(self) -> None:
        self.ids = array("q")
        self.owner_codes = array("q")
        self.deliveries = bytearray()
        self.guilds: list[str | None] = []
        self.channels: list[str] = []
        self.leads: list[tuple[int, ...]] = []
        self.created = array("q")
        self.scopes: dict[tuple[str, str], ScopeRows] = {}
        self._scope_numbers = Numbers()
        self._scope_texts = ScopeTexts(self._scope_numbers)
        self._unsettled = array("i")
        self._holes = 0
        self._lookup: RowPlaces | None = None

    def __len__(self) -> int:
        return len(self.ids) - self._holes

    def extend(self, rows: Sequence[Sequence[Any]]) -> None:
        """Add rows read from the database, tuples of the store's SUBSCRIPTION_COLUMNS in id
        order; rows that do not come after those held are added one by one."""
        behind = 0  # rows are in id order: only the first few can be behind those held
        while behind < len(rows) and rows[behind][0] <= (self.ids[-1] if self.ids else -1):
            self.put(_row(rows[behind], self._leads_of))
            behind += 1
        rows = rows[behind:]
        if not rows:
            return
        ids, owner, delivery, guild, channel, kind, scope_id, leads, created = zip(
            *rows, strict=True
        )
        self.ids.extend(ids)
        self.owner_codes.extend(self.owners.codes(owner))
        self.deliveries.extend(map(DELIVERY_CODES.__getitem__, delivery))
        self.guilds.extend(map(self._shared.__getitem__, guild))
        self.channels.extend(map(self._shared.__getitem__, channel))
        self.leads.extend(map(self._leads_of.__getitem__, leads))
        self.created.extend(created)
        # Which scope each row is in, as a number; the rows are put in their scopes when
        # someone asks (_settle), all at once.
        self._unsettled.extend(
            map(self._scope_numbers.__getitem__, zip(kind, scope_id, strict=True))
        )

    def extend_columns(self, columns: SubscriptionColumns) -> bool:
        """Add a chunk of the store's columns (SQLite's fast path), rows after those held;
        False, adding nothing, if the chunk is not as the store promises (ids ascending past
        those held, one owner for each row not numbered). Call `settle` after the last one.
        An index in use is never given chunks (the caller builds one apart, in a thread)."""
        ids = columns.ids
        if not len(ids):
            return True
        if (self.ids and ids[0] <= self.ids[-1]) or not bool(np.all(ids[1:] > ids[:-1])):
            return False
        codes = columns.owner_numbers.copy()
        others = np.flatnonzero(codes < 0)
        if len(others) != len(columns.other_owners):
            return False
        for position, (row_id, owner) in zip(others.tolist(), columns.other_owners, strict=True):
            if ids[position] != row_id:
                return False
            codes[position] = self.owners.code(owner)
        self.ids.frombytes(ids.astype(np.int64).tobytes())
        self.owner_codes.frombytes(codes.astype(np.int64).tobytes())
        self.deliveries.extend(columns.deliveries)  # places in Delivery, as DELIVERY_CODES
        self.guilds.extend(map(self._shared.__getitem__, columns.guilds))
        self.channels.extend(map(self._shared.__getitem__, columns.channels))
        self.leads.extend(map(self._leads_of.__getitem__, columns.leads))
        self.created.frombytes(columns.created.astype(np.int64).tobytes())
        self._unsettled.extend(map(self._scope_texts.__getitem__, columns.scopes))
        return True

    def settle(self) -> None:
        """Put the rows added so far in their scopes (else done when first asked)."""
        self._settle()

    def _settle(self) -> None:
        """Put the rows added by `extend` in their scopes: one stable sort of their scope
        numbers (numpy), then one slice of positions per scope."""
        if not self._unsettled:
            return
        self._lookup = None
        first = len(self.ids) - len(self._unsettled)
        numbers = np.frombuffer(self._unsettled, dtype=np.int32)
        order = np.argsort(numbers, kind="stable")
        # Where the sorted numbers change, a scope starts (np.unique would sort them again).
        ordered = numbers[order]
        starts = np.concatenate(([0], np.flatnonzero(ordered[1:] != ordered[:-1]) + 1))
        found = ordered[starts]
        del ordered
        ends = [*starts[1:].tolist(), len(order)]
        keys = self._scope_numbers.keys_in_order
        # Only rows with leads of their own count towards lead_counts (a tenth, usually).
        leads = self.leads
        chose = np.fromiter(
            map(bool, itertools.islice(leads, first, None)), dtype=bool, count=len(numbers)
        )[order]
        for number, start, end in zip(found.tolist(), starts.tolist(), ends, strict=True):
            key = keys[number]
            held = self.scopes.get(key)
            if held is None:
                held = self.scopes[key] = ScopeRows(ScopeKind(key[0]), key[1] or "")
            positions = (order[start:end] + first).astype(np.int64)
            held.positions.frombytes(positions.tobytes())
            choosing = positions[chose[start:end]].tolist()
            for chosen, count in Counter(map(leads.__getitem__, choosing)).items():
                for minutes in chosen:
                    held.lead_counts[minutes] += count
        self._unsettled = array("i")

    def scope(self, scope: tuple[str, str]) -> ScopeRows | None:
        self._settle()
        return self.scopes.get(scope)

    def _find(self, held: ScopeRows, row_id: int) -> int:
        """The index in held.positions of the row with this id, or -1."""
        at = bisect_left(held.positions, row_id, key=self.ids.__getitem__)
        found = at < len(held.positions) and self.ids[held.positions[at]] == row_id
        return at if found else -1

    def put(self, row: SubscriptionRow) -> None:
        """Add `row`, or replace the row with its id."""
        self._settle()
        self.remove(row)
        if not self.ids or row.id > self.ids[-1]:
            self._append(row)
            return
        # A row replaced (new leads) or an id given again (SQLite reuses the highest id once
        # it is deleted) finds the hole its id left, in id order; packing every column for it
        # held the event loop for seconds at a million subscriptions.
        at = bisect_left(self.ids, row.id)
        if at < len(self.ids) and self.ids[at] == row.id and self.deliveries[at] == self.HOLE:
            self._holes -= 1
            self._place(at, row)
            return
        self._pack(row)  # an id below those held that was never held: rare

    def _append(self, row: SubscriptionRow) -> None:
        position = len(self.ids)
        self.ids.append(row.id)
        self.owner_codes.append(0)
        self.deliveries.append(0)
        self.guilds.append(None)
        self.channels.append("")
        self.leads.append(())
        self.created.append(0)
        self._place(position, row)

    def _place(self, position: int, row: SubscriptionRow) -> None:
        """Write `row` at `position`, a place of its id, and count it in its scope."""
        key = (row.scope_kind.value, row.scope_id)
        held = self.scopes.get(key)
        if held is None:
            held = self.scopes[key] = ScopeRows(row.scope_kind, row.scope_id)
        if self._lookup is not None:
            self._lookup.place(position, held, row.channel_id)
        insort(held.positions, position)
        held.lead_counts.update(row.leads)
        self.owner_codes[position] = self.owners.code(row.owner)
        self.deliveries[position] = DELIVERY_CODES[row.delivery.value]
        self.guilds[position] = self._shared[row.guild_id]
        self.channels[position] = self._shared[row.channel_id]
        self.leads[position] = self._leads_of.setdefault(_leads_text(row.leads), row.leads)
        self.created[position] = row.created

    def remove(self, row: SubscriptionRow) -> bool:
        self._settle()
        held = self.scopes.get((row.scope_kind.value, row.scope_id))
        at = -1 if held is None else self._find(held, row.id)
        if held is None or at < 0:
            return False
        position = held.positions.pop(at)
        if self._lookup is not None:
            self._lookup.remove(position)
        held.lead_counts.subtract(self.leads[position])
        self.deliveries[position] = self.HOLE
        self._holes += 1
        if self._holes > 1024 and self._holes * 4 > len(self.ids):
            self._pack()
        return True

    def _pack(self, extra: SubscriptionRow | None = None) -> None:
        """The columns again without holes (and with `extra` in id order)."""
        live = sorted((r for held in self.scopes.values() for r in self.rows(held)), key=_id)
        if extra is not None:
            live.insert(bisect_left(live, extra.id, key=_id), extra)
        self._empty()
        for row in live:
            self._append(row)

    def rows(self, held: ScopeRows) -> Iterator[SubscriptionRow]:
        scope = (held.kind, held.scope_id)
        for position in held.positions:
            yield self.row_in(position, scope)

    def row_in(self, position: int, scope: tuple[ScopeKind, str]) -> SubscriptionRow:
        return SubscriptionRow(
            self.ids[position],
            self.owners.owner(self.owner_codes[position]),
            DELIVERIES[self.deliveries[position]],
            self.guilds[position],
            self.channels[position] or "",
            scope[0],
            scope[1],
            self.leads[position],
            self.created[position],
        )

    def every_row(self) -> Iterator[SubscriptionRow]:
        self._settle()
        for held in self.scopes.values():
            yield from self.rows(held)

    def has_dm(self, owner: str, scope: tuple[str, str]) -> bool:
        self._settle()
        held = self.scopes.get(scope)
        code = self.owners.known_code(owner)
        if held is None or code is None:
            return False
        codes, deliveries = self.owner_codes, self.deliveries
        return any(codes[p] == code and deliveries[p] == DM for p in held.positions)

    def of(self, owner: str, channel_id: str = "") -> list[SubscriptionRow]:
        """The subscriptions `owner` made, and (given a channel) those delivered there, in id
        order. Found with numpy over the columns: walking every row took about 100 ms on the
        event loop at a million subscriptions, for each /reminders."""
        self._settle()
        if self._lookup is None:
            self._lookup = RowPlaces(list(self.scopes.values()), len(self.ids))
        lookup = self._lookup
        wanted = np.zeros(lookup.size, dtype=bool)
        code = self.owners.known_code(owner)
        if code is not None:
            wanted |= np.frombuffer(self.owner_codes, dtype=np.int64) == code
        if channel_id:
            wanted |= lookup.in_channel(self.channels, channel_id)
        found = np.flatnonzero(wanted & (lookup.scope_of >= 0)).tolist()
        return [
            self.row_in(p, (held.kind, held.scope_id))
            for p, held in zip(
                found, map(lookup.scopes.__getitem__, lookup.scope_of[found]), strict=True
            )
        ]

    def deliveries_of(
        self, held: ScopeRows
    ) -> Iterator[tuple[int, int, str, tuple[int, ...], int]]:
        """(owner code, delivery code, channel, leads, created) of each row of the scope."""
        for p in held.positions:
            yield (
                self.owner_codes[p],
                self.deliveries[p],
                self.channels[p],
                self.leads[p],
                self.created[p],
            )


def _row(r: Sequence[Any], leads_of: LeadsOf) -> SubscriptionRow:
    return SubscriptionRow.of_columns(r, leads_of[r[7]])


def _id(row: SubscriptionRow) -> int:
    return row.id


def _leads_text(leads: tuple[int, ...]) -> str | None:
    return ",".join(map(str, leads)) if leads else None


def _snowflake(owner: str) -> int | None:
    """The number of "discord:<number>" when the owner is exactly that number written out."""
    if not owner.startswith(_DISCORD):
        return None
    digits = owner[len(_DISCORD) :]
    if not (digits.isascii() and digits.isdigit()) or (digits[0] == "0" and digits != "0"):
        return None
    number = int(digits)
    return number if number < 2**63 else None
