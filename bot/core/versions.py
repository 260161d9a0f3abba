"""Every version of every meeting in one table, for lists as known at any instant: what
/agenda shows at a date is answered from arrays in O(versions) numpy work, without folding the
agenda at that date first (which takes a second on 10,000 meetings). `tests/core` checks that it
answers exactly as the index of the agenda folded at that date does."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from math import inf

import numpy as np
import numpy.typing as npt

from .model import Kind, Meeting, Status
from .queries import PAGE_SIZE, AgendaFilter, Page
from .revisions import MeetingRecord

Ints = npt.NDArray[np.int64]
Floats = npt.NDArray[np.float64]
_STATUS = {status: code for code, status in enumerate(Status)}
_KIND = {kind: code for code, kind in enumerate(Kind)}
_ANY = AgendaFilter()


class VersionTable:
    """Each version of each meeting (the meeting after each of its revisions), in the order a
    view of the agenda lists meetings, with when it was the known one."""

    def __init__(self, records: Mapping[str, MeetingRecord], listed: Mapping[str, set[str]]):
        """`listed`: topic -> the meetings the topic itself names (they count as on it)."""
        versions: list[Meeting] = []
        since: list[float] = []
        until: list[float] = []
        for record in records.values():
            knowns = [r.known.timestamp() for r in record.revisions]
            versions.extend(record.versions)
            since.extend(knowns)
            until.extend([*knowns[1:], inf])
        order = sorted(
            range(len(versions)),
            key=lambda i: (versions[i].when.sort_key(), versions[i].title, versions[i].id),
        )
        self.versions = [versions[i] for i in order]
        self.since = np.array([since[i] for i in order], dtype=np.float64)
        self.until = np.array([until[i] for i in order], dtype=np.float64)
        self.end = np.array([_end(m) for m in self.versions], dtype=np.float64)
        self.status = np.array([_STATUS[m.status] for m in self.versions], dtype=np.int64)
        self.kind = np.array([_KIND[m.kind] for m in self.versions], dtype=np.int64)
        by_body: dict[str, list[int]] = {}
        by_topic: dict[str, list[int]] = {}
        naming: dict[str, set[str]] = {}
        for topic, meetings in listed.items():
            for meeting_id in meetings:
                naming.setdefault(meeting_id, set()).add(topic)
        for position, meeting in enumerate(self.versions):
            for body in meeting.bodies:
                by_body.setdefault(body, []).append(position)
            for topic in {*meeting.topics, *naming.get(meeting.id, ())}:
                by_topic.setdefault(topic, []).append(position)
        self._by_body = {k: np.array(v, dtype=np.int64) for k, v in by_body.items()}
        self._by_topic = {k: np.array(v, dtype=np.int64) for k, v in by_topic.items()}

    def upcoming(
        self,
        now: datetime,
        where: AgendaFilter = _ANY,
        page: int = 1,
        size: int = PAGE_SIZE,
    ) -> Page[Meeting]:
        """As `AgendaIndex.upcoming` on the agenda known at `now`."""
        t = now.timestamp()
        chosen = self._matching(where, t)
        chosen = chosen[self.end[chosen] > t]
        return self._page(chosen, page, size)

    def past(
        self,
        now: datetime,
        where: AgendaFilter = _ANY,
        page: int = 1,
        size: int = PAGE_SIZE,
    ) -> Page[Meeting]:
        """As `AgendaIndex.past` on the agenda known at `now`: most recent end first."""
        t = now.timestamp()
        chosen = self._matching(where, t)
        chosen = chosen[self.end[chosen] <= t]
        chosen = chosen[np.argsort(-self.end[chosen], kind="stable")]
        return self._page(chosen, page, size)

    def _matching(self, where: AgendaFilter, t: float) -> Ints:
        if where.body is not None:
            chosen = self._by_body.get(where.body, np.empty(0, dtype=np.int64))
        else:
            chosen = np.arange(len(self.versions), dtype=np.int64)
        if where.topic is not None:
            chosen = np.intersect1d(
                chosen, self._by_topic.get(where.topic, np.empty(0, dtype=np.int64))
            )
        chosen = chosen[(self.since[chosen] <= t) & (t < self.until[chosen])]
        if where.kind is not None:
            chosen = chosen[self.kind[chosen] == _KIND[where.kind]]
        if where.status is not None:
            chosen = chosen[self._status_is(chosen, where.status, t)]
        return chosen

    def _status_is(self, chosen: Ints, status: Status, t: float) -> npt.NDArray[np.bool_]:
        """As Meeting.status_at: held, but not ended yet, was confirmed."""
        codes, ended = self.status[chosen], self.end[chosen] <= t
        held = codes == _STATUS[Status.HELD]
        found: npt.NDArray[np.bool_]
        if status is Status.CONFIRMED:
            found = (codes == _STATUS[Status.CONFIRMED]) | (held & ~ended)
        elif status is Status.HELD:
            found = held & ended
        else:
            found = codes == _STATUS[status]
        return found

    def _page(self, chosen: Ints, page: int, size: int) -> Page[Meeting]:
        total = int(chosen.size)
        pages = max(1, -(-total // size))
        number = min(max(1, page), pages)
        start = (number - 1) * size
        items = tuple(self.versions[int(i)] for i in chosen[start : start + size])
        return Page(items, number, pages, total)


def _end(meeting: Meeting) -> float:
    end = meeting.when.end_utc
    return end.timestamp() if end is not None else inf
