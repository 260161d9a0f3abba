"""A saved index of subscriptions brought up to date with the rows changed since it was saved.

After a change, reading every row again costs seconds at a million (SQLite's joins, then the
Python that indexes them); the log of changes (storage.changes) names the few rows that
changed. The patch works on the saved file's columns, not on an index: the rows the log names
are dropped whatever they were, the rows that hold those ids now are added, and the result is
written as a file of the same format, the one the next start reads, from which the index is
then read as from any file. So a patched index is read by the same code as an unchanged one,
and holds what an index read from the rows holds: the same rows in id order, each scope's in
id order, the scopes in the order of their first row, the same lead counts (none of zero).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np
import numpy.typing as npt

from bot.storage import ScopeKind, SubscriptionColumns
from bot.storage.changes import ChangeLog
from bot.storage.columns import SCOPE_SEPARATOR

from .followers import LeadsOf, Owners
from .subscribers_file import _PREFIX, MAGIC, pieces_of, sections

# More entries than this after the file's and the rows are read: a patch that large gains
# little, and the file is most of it stale.
AT_LEAST = 1_000
SHARE = 10  # of the file's rows: a tenth


def patch(held: list[memoryview], key: int, seq: int | None, history: ChangeLog) -> bytes | None:
    """The content of the file in `held` (taken from it: let go as soon as it is read) brought
    up to the rows read under `key` (at the log's entry `seq`); None if the log does not say
    how (the rows are read)."""
    content = held.pop()
    if seq is None:
        return None  # the log's last entry is not of the table's key: a change it lacks
    header, columns, every = sections(content)
    saved = header.get("seq")
    if not isinstance(saved, int) or isinstance(saved, bool):
        return None  # saved without a place in the log
    _, saved_key, _ = _PREFIX.unpack_from(content, len(MAGIC))
    changes = history.since(saved, saved_key, max(AT_LEAST, int(header["rows"]) // SHARE))
    if changes is None:
        return None
    ids = columns["ids"]
    if len(ids) > 1 and not bool(np.all(ids[1:] > ids[:-1])):
        raise ValueError("ids not ascending")
    patching = _Patch(header, columns, every)
    del header, columns, every, content, ids  # the file's content: read into the patch
    return patching.apply(changes.ids, changes.rows, changes.count, key, seq)


class _Patch:
    """The file's columns, its tables of distinct values, and its scopes, as they are changed."""

    def __init__(
        self,
        header: dict[str, Any],
        columns: dict[str, npt.NDArray[Any]],
        every: npt.NDArray[np.int64],
    ) -> None:
        self.columns = columns
        rows = len(columns["ids"])
        self.scopes: list[list[Any]] = [list(scope) for scope in header["scopes"]]
        self.scope_numbers = {(str(s[0]), str(s[1])): n for n, s in enumerate(self.scopes)}
        sizes = np.array([int(s[2]) for s in self.scopes], dtype=np.int64)
        self.scope_of = np.full(rows, -1, dtype=np.int64)
        self.scope_of[every] = np.repeat(np.arange(len(self.scopes), dtype=np.int64), sizes)
        if rows and int(self.scope_of.min()) < 0:
            raise ValueError("a row in no scope")
        self.counts: dict[int, Counter[int]] = {}  # lead counts of the scopes changed
        self.tables = {name: _Table(header[name]) for name in ("guilds", "channels")}
        self.leads = _Table([tuple(lead) for lead in header["leads"]])
        self.owners = Owners()
        for owner in header["others"]:
            self.owners.code(str(owner))
        self.header = header

    def _count(self, scope: int, leads: tuple[int, ...], by: int) -> None:
        counted = self.counts.get(scope)
        if counted is None:
            counted = self.counts[scope] = Counter(
                {int(m): int(n) for m, n in self.scopes[scope][3]}
            )
        for minutes in leads:
            counted[minutes] += by

    def apply(
        self,
        named: npt.NDArray[np.int64],
        rows: SubscriptionColumns,
        count: int,
        key: int,
        seq: int | None,
    ) -> bytes | None:
        ids = self.columns["ids"]
        at = np.searchsorted(ids, named)
        inside = at < len(ids)
        at = at[inside]
        gone = at[ids[at] == named[inside]]  # the rows the file holds under a named id
        keep = np.ones(len(ids), dtype=bool)
        keep[gone] = False
        lead_codes = self.columns["leads"]
        for position in gone.tolist():
            self._count(int(self.scope_of[position]), self.leads.values[lead_codes[position]], -1)
        added = self._added(rows)
        if added is None:
            return None
        merged_ids = np.concatenate((ids[keep], rows.ids))
        order = np.argsort(merged_ids, kind="stable")
        merged_ids = merged_ids[order]
        if len(merged_ids) > 1 and not bool(np.all(merged_ids[1:] > merged_ids[:-1])):
            return None  # a row named twice: not as the log promises
        if len(merged_ids) != count:
            return None  # a row deleted without a trigger (REPLACE): the log does not name it

        def merged(old: npt.NDArray[Any], new: npt.NDArray[Any]) -> npt.NDArray[Any]:
            return np.concatenate((old[keep], new.astype(old.dtype)))[order]

        columns = {"ids": merged_ids}
        for name in ("owner_codes", "deliveries", "guilds", "channels", "leads", "created"):
            columns[name] = merged(self.columns.pop(name), added[name])
        scope_of = merged(self.scope_of, added["scopes"])
        del self.columns, self.scope_of, ids, lead_codes  # the file's content goes with them
        header = self._header(columns, seq)
        header["rows"] = len(merged_ids)
        header["scopes"], positions = self._scopes(scope_of)
        return b"".join(pieces_of(header, columns, positions, key, copy=False))

    def _added(self, rows: SubscriptionColumns) -> dict[str, npt.NDArray[Any]] | None:
        """The codes of the rows that hold a named id now, as the file's columns hold them."""
        codes = rows.owner_numbers.copy()
        others = np.flatnonzero(codes < 0)
        if len(others) != len(rows.other_owners):
            return None
        for position, (row_id, owner) in zip(others.tolist(), rows.other_owners, strict=True):
            if rows.ids[position] != row_id:
                return None
            codes[position] = self.owners.code(owner)
        leads_of = LeadsOf()
        leads = [leads_of[text] for text in rows.leads]
        scopes = np.array(list(map(self._scope, rows.scopes)), dtype=np.int64)
        for scope, chosen in zip(scopes.tolist(), leads, strict=True):
            self._count(scope, chosen, 1)
        return {
            "owner_codes": codes,
            "deliveries": np.frombuffer(rows.deliveries, dtype=np.uint8),
            "guilds": self.tables["guilds"].codes(rows.guilds),
            "channels": self.tables["channels"].codes(rows.channels),
            "leads": self.leads.codes(leads),
            "created": rows.created,
            "scopes": scopes,
        }

    def _scope(self, text: str) -> int:
        kind, separator, scope_id = text.partition(SCOPE_SEPARATOR)
        if not separator:
            raise ValueError(f"not a scope: {text!r}")
        ScopeKind(kind)  # a kind this version does not know: the rows' read says so
        number = self.scope_numbers.get((kind, scope_id))
        if number is None:
            number = self.scope_numbers[(kind, scope_id)] = len(self.scopes)
            self.scopes.append([kind, scope_id, 0, []])
        return number

    def _header(self, columns: dict[str, npt.NDArray[Any]], seq: int | None) -> dict[str, Any]:
        """The header of the patched columns, their codes made to point into tables without
        the values no row holds any more (changed in `columns`)."""
        header = dict(self.header, seq=seq)
        for name, table in (*self.tables.items(), ("leads", self.leads)):
            header[name], columns[name] = table.used(columns[name])
        owners = columns["owner_codes"]
        others = self.owners._others
        if others:
            negative = owners < 0
            used = np.zeros(len(others), dtype=bool)
            used[-owners[negative] - 1] = True
            places = np.cumsum(used) - 1
            owners = owners.copy()
            owners[negative] = -places[-owners[negative] - 1] - 1
            columns["owner_codes"] = owners
            others = [owner for owner, kept in zip(others, used.tolist(), strict=True) if kept]
        header["others"] = others
        return header

    def _scopes(
        self, scope_of: npt.NDArray[np.int64]
    ) -> tuple[list[list[Any]], list[npt.NDArray[np.int64]]]:
        """The scopes that hold a row, in the order of their first row (as a read of the rows
        makes them), with their sizes and lead counts, and the positions of each."""
        by_scope = np.argsort(scope_of, kind="stable")  # positions ascending within a scope
        sizes = np.bincount(scope_of, minlength=len(self.scopes))
        starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
        held = np.flatnonzero(sizes > 0)
        firsts = by_scope[starts[held]]
        scopes: list[list[Any]] = []
        positions: list[npt.NDArray[np.int64]] = []
        for number in held[np.argsort(firsts)].tolist():
            kind, scope_id, _, lead_counts = self.scopes[number]
            counted = self.counts.get(number)
            if counted is not None:
                lead_counts = [[m, n] for m, n in counted.items() if n > 0]
            size = int(sizes[number])
            scopes.append([kind, scope_id, size, lead_counts])
            start = int(starts[number])
            positions.append(by_scope[start : start + size])
        return scopes, positions


class _Table:
    """A file's table of distinct values (guilds, channels, leads) and the codes into it."""

    def __init__(self, values: list[Any]) -> None:
        self.values = list(values)
        self._places = {value: place for place, value in enumerate(self.values)}

    def codes(self, values: list[Any]) -> npt.NDArray[np.uint32]:
        return np.fromiter(map(self._place, values), dtype=np.uint32, count=len(values))

    def _place(self, value: Any) -> int:
        place = self._places.get(value)
        if place is None:
            place = self._places[value] = len(self.values)
            self.values.append(value)
        return place

    def used(self, codes: npt.NDArray[Any]) -> tuple[list[Any], npt.NDArray[Any]]:
        """The values some code points at, and the codes into them."""
        used = np.bincount(codes, minlength=len(self.values)) > 0
        if bool(used.all()):
            return self.values, codes
        places = (np.cumsum(used) - 1).astype(codes.dtype)
        return [v for v, kept in zip(self.values, used.tolist(), strict=True) if kept], places[
            codes
        ]
