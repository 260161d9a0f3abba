"""The public agenda page: server-rendered HTML (Jinja2), no scripts, no external assets."""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from aiohttp import web
from jinja2 import Environment, FileSystemLoader, select_autoescape

from bot.core import Meeting, PlainTimes, Status, Topic, when_text
from bot.core.formatting import date_long, relative_text
from bot.core.histories import entries
from bot.service import AgendaService, Feeds

HERE = Path(__file__).resolve().parent
HTML = "text/html"
# Readers' zones are unknown: venue time and UTC, which is called UTC and not "your time".
UTC_TIMES = PlainTimes(ZoneInfo("UTC"), reader_label="")
PAST_SHOWN = 30


@dataclass(frozen=True)
class MeetingView:
    """What a page shows of a meeting."""

    meeting: Meeting
    date: str
    relative: str
    status: str
    bodies: str
    dated: bool
    going: int = 0  # members going, from the servers that show the count


class Pages:
    def __init__(
        self,
        agenda: AgendaService,
        feeds: Feeds,
        going: Callable[[], Awaitable[Counter[str]]] | None = None,
    ) -> None:
        self.agenda = agenda
        self.feeds = feeds
        self._going = going
        self.templates = Environment(
            loader=FileSystemLoader(HERE / "templates"),
            autoescape=select_autoescape(default=True, default_for_string=True),
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self._css = (HERE / "static" / "site.css").read_bytes()
        self._icon = (HERE / "static" / "favicon.svg").read_bytes()

    async def going(self) -> Counter[str]:
        return await self._going() if self._going is not None else Counter()

    def _view(self, meeting: Meeting, now: datetime, going: Counter[str]) -> MeetingView:
        agenda = self.agenda.agenda
        return MeetingView(
            meeting,
            when_text(meeting.when, UTC_TIMES, now),
            relative_text(meeting.when, now, UTC_TIMES),
            meeting.status_at(now).value,
            " / ".join(agenda.body_label(b) for b in meeting.bodies),
            meeting.when.precision.has_day,
            going[meeting.id],
        )

    def _page(self, template: str, status: int = 200, **values: object) -> web.Response:
        agenda = self.agenda.agenda
        now = self.agenda.clock.now()
        https, webcal = self.feeds.addresses("/feeds/agenda.ics")
        html = self.templates.get_template(template).render(
            dataset=agenda.dataset,
            today=date_long(now.date()),
            all_https=https,
            all_webcal=webcal,
            **values,
        )
        return web.Response(text=html, content_type=HTML, charset="utf-8", status=status)

    async def index(self, request: web.Request) -> web.Response:
        now = self.agenda.clock.now()
        index = self.agenda.index
        upcoming = index.upcoming(now, size=10_000).items
        past = index.past(now, size=PAST_SHOWN).items
        going = await self.going()
        return self._page(
            "index.html",
            upcoming=[self._view(m, now, going) for m in upcoming],
            past=[self._view(m, now, going) for m in past],
            topics=list(self.agenda.agenda.topics.values()),
        )

    async def meeting(self, request: web.Request) -> web.Response:
        found = self.agenda.agenda.meetings.get(request.match_info["ident"])
        if found is None:
            return self.not_found()
        now = self.agenda.clock.now()
        agenda = self.agenda.agenda
        lead = found.bodies[0]
        https, webcal = self.feeds.addresses(f"/feeds/body/{lead}.ics")
        return self._page(
            "meeting.html",
            view=self._view(found, now, await self.going()),
            topics=[agenda.topics[t] for t in found.topics if t in agenda.topics],
            zone=found.when.zone.key,
            body_name=agenda.bodies[lead].label if lead in agenda.bodies else lead,
            body_https=https,
            body_webcal=webcal,
            cancelled=found.status is Status.CANCELLED,
            outcome=found.outcome_at(now),
            history=entries(agenda, found, UTC_TIMES),
        )

    async def topic(self, request: web.Request) -> web.Response:
        found: Topic | None = self.agenda.agenda.topics.get(request.match_info["ident"])
        if found is None:
            return self.not_found()
        now = self.agenda.clock.now()
        agenda = self.agenda.agenda
        going = await self.going()
        meetings = [self._view(agenda.meetings[m], now, going) for m in found.meetings]
        https, webcal = self.feeds.addresses(f"/feeds/topic/{found.id}.ics")
        return self._page(
            "topic.html",
            topic=found,
            coming=[v for v in meetings if not v.meeting.when.has_ended(now)],
            held=[v for v in reversed(meetings) if v.meeting.when.has_ended(now)],
            bodies=[agenda.bodies[b].label for b in found.bodies if b in agenda.bodies],
            topic_https=https,
            topic_webcal=webcal,
        )

    async def stylesheet(self, request: web.Request) -> web.Response:
        return web.Response(
            body=self._css,
            content_type="text/css",
            charset="utf-8",
            headers={"Cache-Control": "public, max-age=3600"},
        )

    async def icon(self, request: web.Request) -> web.Response:
        return web.Response(
            body=self._icon,
            content_type="image/svg+xml",
            headers={"Cache-Control": "public, max-age=86400"},
        )

    def undated(self, ident: str) -> web.Response | None:
        """For the calendar file of a meeting without a day: a 404 page that says so and offers
        its body's feed, which will carry it once the day is announced. None otherwise."""
        found = self.agenda.agenda.meetings.get(ident)
        if found is None or found.when.precision.has_day:
            return None
        agenda = self.agenda.agenda
        lead = found.bodies[0]
        https, webcal = self.feeds.addresses(f"/feeds/body/{lead}.ics")
        return self._page(
            "undated.html",
            status=404,
            view=self._view(found, self.agenda.clock.now(), Counter()),
            body_name=agenda.bodies[lead].label if lead in agenda.bodies else lead,
            body_https=https,
            body_webcal=webcal,
        )

    def not_found(self) -> web.Response:
        return self._page("not_found.html", status=404)
