"""The public agenda page: server-rendered HTML (Jinja2), no scripts, no external assets."""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from aiohttp import web
from jinja2 import Environment, FileSystemLoader, select_autoescape

from bot.core import Kind, Meeting, PlainTimes, Status, Topic, when_text
from bot.core.formatting import date_long, relative_text
from bot.core.histories import entries
from bot.core.people import role_text, roles_at_meeting, roles_on_topic
from bot.service import AgendaService, Feeds

from .reader import UTC_TIMES, Filter, Reader, filter_of, google_link, reader_of, remember

HERE = Path(__file__).resolve().parent
HTML = "text/html"
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

    def _view(
        self,
        meeting: Meeting,
        now: datetime,
        going: Counter[str],
        times: PlainTimes = UTC_TIMES,
    ) -> MeetingView:
        agenda = self.agenda.agenda
        return MeetingView(
            meeting,
            when_text(meeting.when, times, now),
            relative_text(meeting.when, now, times),
            meeting.status_at(now).value,
            " / ".join(agenda.body_label(b) for b in meeting.bodies),
            meeting.when.precision.has_day,
            going[meeting.id],
        )

    def _page(
        self, template: str, status: int = 200, reader: Reader | None = None, **values: object
    ) -> web.Response:
        agenda = self.agenda.agenda
        now = self.agenda.clock.now()
        https, webcal = self.feeds.addresses("/feeds/agenda.ics")
        zones = sorted({m.when.zone.key for m in agenda.meetings.values()} | {"UTC"})
        html = self.templates.get_template(template).render(
            dataset=agenda.dataset,
            today=date_long(now.date()),
            all_https=https,
            all_webcal=webcal,
            reader=reader or Reader(UTC_TIMES),
            zones=zones,
            **values,
        )
        response = web.Response(text=html, content_type=HTML, charset="utf-8", status=status)
        return remember(response, reader) if reader is not None else response

    async def index(self, request: web.Request) -> web.Response:
        now = self.agenda.clock.now()
        agenda = self.agenda.agenda
        reader = reader_of(request)
        chosen = filter_of(request, set(agenda.bodies), set(agenda.topics))
        upcoming, past, pages = self._listed(chosen, now)
        chosen = replace(chosen, past_page=min(chosen.past_page, pages))  # past the last: the last
        going = await self.going()
        return self._page(
            "index.html",
            reader=reader,
            chosen=chosen,
            keep={
                "body": chosen.body,
                "kind": chosen.kind,
                "topic": chosen.topic,
                "q": chosen.words,
            },
            upcoming=[self._view(m, now, going, reader.times) for m in upcoming],
            past=[self._view(m, now, going, reader.times) for m in past],
            past_pages=pages,
            bodies=sorted(agenda.bodies.values(), key=lambda b: b.name),
            kinds=[kind.value for kind in Kind],
            topics=list(agenda.topics.values()),
        )

    def _listed(self, chosen: Filter, now: datetime) -> tuple[list[Meeting], list[Meeting], int]:
        """Upcoming meetings, a page of past ones (newest first) and the number of such pages,
        as the filter asks; words are searched as `/search` does."""
        library = self.agenda.library(now)
        upcoming = list(library.index.upcoming(now, chosen.where, size=100_000).items)
        past = list(library.index.past(now, chosen.where, size=100_000).items)
        if chosen.words:
            found = library.search.search(chosen.words, limit=None).hits
            meetings = {hit.id for hit in found if hit.kind == "meeting"}
            upcoming = [m for m in upcoming if m.id in meetings]
            past = [m for m in past if m.id in meetings]
        pages = max(1, -(-len(past) // PAST_SHOWN))
        first = (min(chosen.past_page, pages) - 1) * PAST_SHOWN
        return upcoming, past[first : first + PAST_SHOWN], pages

    async def meeting(self, request: web.Request) -> web.Response:
        found = self.agenda.agenda.meetings.get(request.match_info["ident"])
        if found is None:
            return self.not_found()
        now = self.agenda.clock.now()
        agenda = self.agenda.agenda
        reader = reader_of(request)
        lead = found.bodies[0]
        https, webcal = self.feeds.addresses(f"/feeds/body/{lead}.ics")
        page = self.feeds.addresses(f"/meetings/{found.id}")[0] if self.feeds.base_url else None
        cancelled = found.status is Status.CANCELLED
        return self._page(
            "meeting.html",
            reader=reader,
            view=self._view(found, now, await self.going(), reader.times),
            topics=[agenda.topics[t] for t in found.topics if t in agenda.topics],
            zone=found.when.zone.key,
            body_id=lead,
            body_name=agenda.bodies[lead].label if lead in agenda.bodies else lead,
            body_https=https,
            body_webcal=webcal,
            cancelled=cancelled,
            google=None
            if cancelled
            else google_link(found, page, agenda.ladders.length_of(found.kind)),
            outcome=found.outcome_at(now),
            people=[(p, role_text(r)) for p, r in roles_at_meeting(agenda, found.id)],
            history=entries(agenda, found, reader.times),
        )

    async def topic(self, request: web.Request) -> web.Response:
        found: Topic | None = self.agenda.agenda.topics.get(request.match_info["ident"])
        if found is None:
            return self.not_found()
        agenda = self.agenda.agenda
        https, webcal = self.feeds.addresses(f"/feeds/topic/{found.id}.ics")
        return await self._scoped(
            request,
            "topic.html",
            [agenda.meetings[m] for m in found.meetings],
            topic=found,
            bodies=[agenda.bodies[b].label for b in found.bodies if b in agenda.bodies],
            people=[
                (p, role_text(r), agenda.meetings[r.meeting])
                for p, r in roles_on_topic(agenda, found.id)
            ],
            feed_https=https,
            feed_webcal=webcal,
        )

    async def body(self, request: web.Request) -> web.Response:
        agenda = self.agenda.agenda
        found = agenda.bodies.get(request.match_info["ident"])
        if found is None:
            return self.not_found()
        https, webcal = self.feeds.addresses(f"/feeds/body/{found.id}.ics")
        parent = agenda.bodies.get(found.parent) if found.parent else None
        return await self._scoped(
            request,
            "body.html",
            self.agenda.index.scoped(found.id),
            body=found,
            parent=parent,
            feed_https=https,
            feed_webcal=webcal,
        )

    async def _scoped(
        self, request: web.Request, template: str, meetings: list[Meeting], **values: object
    ) -> web.Response:
        """A topic's or a body's page: its meetings to come, then those held (newest first)."""
        now = self.agenda.clock.now()
        reader = reader_of(request)
        going = await self.going()
        views = [self._view(m, now, going, reader.times) for m in meetings]
        return self._page(
            template,
            200,
            reader,
            coming=[v for v in views if not v.meeting.when.has_ended(now)],
            held=[v for v in reversed(views) if v.meeting.when.has_ended(now)],
            **values,
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
