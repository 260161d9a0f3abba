"""One APScheduler job per instant at which fire points fall due, not one per fire point.

APScheduler handles the jobs due at one moment one by one, synchronously, before any of them
runs: with a job per fire point, the last of 1,000 points due in the same second started tens
of milliseconds late. A job per instant hands them all to the engine at once. Which points a job
fires is read from this index when it runs, so adding or removing one point of a shared instant
changes the index only, and the other points keep their job.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.date import DateTrigger

from .plan import FirePoint


class InstantJobs:
    """Fire point ids by the instant (agenda time) they fall due, one job for each instant."""

    def __init__(
        self,
        fire: Callable[[datetime], Awaitable[None]],
        to_real: Callable[[datetime], datetime],
    ) -> None:
        self._fire = fire
        self._to_real = to_real
        self._due: dict[datetime, set[str]] = {}

    @property
    def points(self) -> int:
        """Fire points that have a job."""
        return sum(len(ids) for ids in self._due.values())

    @property
    def jobs(self) -> int:
        return len(self._due)

    def sync(self, scheduler: AsyncIOScheduler, due: dict[datetime, set[str]]) -> None:
        """Exactly the instants of `due` have a job: jobs are added and removed for instants that
        appear or empty; an instant that only gained or lost points keeps its job."""
        for at in self._due.keys() - due.keys():
            _remove(scheduler, at)
        for at in due.keys() - self._due.keys():
            scheduler.add_job(
                self._fire,
                DateTrigger(self._to_real(at)),
                args=[at],
                id=_job_id(at),
                name=_job_id(at),
                replace_existing=True,
            )
        self._due = due

    def take(self, at: datetime) -> set[str]:
        """The ids due at `at`, for its job to fire; the instant is done with."""
        return self._due.pop(at, set())

    def discard(self, scheduler: AsyncIOScheduler, point: FirePoint) -> None:
        """`point` fired on its own (not by its instant's job)."""
        ids = self._due.get(point.at)
        if ids is None:
            return
        ids.discard(point.id)
        if not ids:
            del self._due[point.at]
            _remove(scheduler, point.at)

    def clear(self) -> None:
        self._due.clear()


def _job_id(at: datetime) -> str:
    return f"due|{at.astimezone(UTC):%Y%m%dT%H%M%S.%fZ}"


def _remove(scheduler: AsyncIOScheduler, at: datetime) -> None:
    # A job whose time came is gone from the store already (its run may still be pending).
    if scheduler.get_job(_job_id(at)) is not None:
        scheduler.remove_job(_job_id(at))
