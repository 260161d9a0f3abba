"""The mirror against a second board (in memory, beside the fake Discord of the end-to-end
tests): passes, presses and commands that overlap, and Discord saying no."""

import asyncio
import itertools
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from bot.core import FixedClock, Kind, Meeting, Status, When
from bot.core.mirroring import EventStatus, RemoteEvent
from bot.service import AgendaService, BoardError, Caller, Mirror
from bot.service.mirror_commands import MirrorCommands
from bot.storage import MirrorRow, ServerEvents, Store
from tests.conftest import NEWS_DAY

pytestmark = pytest.mark.asyncio
_ids = itertools.count(1000)


class Board:
    """Scheduled events in memory, one dict per server; Discord's refusal of past starts."""

    def __init__(self, now):
        self.now = now
        self.events: dict[str, dict] = {}
        self.interested_users: dict[str, list[str]] = {}
        self.calls: list[tuple] = []
        self.hold: dict[str, asyncio.Event] = {}  # a server's listing waits for this
        self.listing: dict[str, asyncio.Event] = {}  # set while that listing waits

    async def listed(self, guild):
        if guild in self.hold:
            self.listing.setdefault(guild, asyncio.Event()).set()
            await self.hold[guild].wait()
        return [
            RemoteEvent(i, e["name"], e["description"], e["location"], e["start"], e["end"],
                        e["status"], True)
            for i, e in self.events.items()
            if e["guild"] == guild and not e["status"].is_final
        ]  # fmt: skip

    async def create(self, guild, shape):
        self.calls.append(("create", guild, shape.meeting_id))
        if shape.start <= self.now():
            raise BoardError("Cannot schedule event in the past", refused=True)
        event_id = str(next(_ids))
        self.events[event_id] = {
            "guild": guild,
            "name": shape.name,
            "description": shape.description,
            "location": shape.location,
            "start": shape.start,
            "end": shape.end,
            "status": EventStatus.SCHEDULED,
        }
        return event_id

    async def edit(self, guild, event_id, shape=None, status=None):
        self.calls.append(("edit", guild, event_id, status))
        event = self.events[event_id]
        if shape is not None:
            event.update(name=shape.name, description=shape.description, start=shape.start)
        if status is not None:
            event["status"] = status

    async def delete(self, guild, event_id):
        self.calls.append(("delete", guild, event_id))
        del self.events[event_id]

    async def interested(self, guild, event_id):
        return list(self.interested_users.get(event_id, []))

    async def tell(self, channel, text):
        self.calls.append(("tell", channel, text))

    def live(self, guild):
        return {
            e["description"].rsplit("/meeting ", 1)[-1]: (i, e["status"])
            for i, e in self.events.items()
            if e["guild"] == guild and not e["status"].is_final
        }


class Members:
    def __init__(self):
        self.subscribed: set[tuple[str, str]] = set()

    async def subscribe_member(self, owner, guild, meeting):
        made = (owner, meeting) not in self.subscribed
        self.subscribed.add((owner, meeting))
        return made

    async def unsubscribe_member(self, owner, meeting):
        self.subscribed.discard((owner, meeting))


def admin(guild):
    return Caller("discord:1", guild_id=guild, channel_id=f"c{guild}", can_manage=True)


@pytest.fixture
async def world(wco, tmp_path):
    store = await Store.open(f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite3'}")
    clock = FixedClock(NEWS_DAY)
    agenda = AgendaService(wco, clock)
    events = ServerEvents(store.engine)
    board = Board(clock.now)
    mirror = Mirror(agenda, events, Members(), board, lambda: True)
    yield mirror, MirrorCommands(mirror), board, clock
    await store.close()


async def test_mirror_off_during_a_pass_is_not_undone_by_the_pass(world):
    # Regression (review): the pass used the settings read at its start and made the events of
    # a server that had turned its mirror off meanwhile; no later pass looked after them.
    mirror, commands, board, _ = world
    await commands.mirror_events(admin("a"), "on")
    await commands.mirror_events(admin("b"), "on")
    board.hold["a"] = asyncio.Event()
    passing = asyncio.create_task(mirror.sync_all())
    board.listing["a"] = asyncio.Event()
    await asyncio.wait_for(board.listing["a"].wait(), 5)  # the pass is at server a
    off = await commands.mirror_events(admin("b"), "off")
    assert off.title == "Mirror stopped"
    board.hold["a"].set()
    await asyncio.wait_for(passing, 5)
    assert board.live("b") == {}


async def test_a_standby_saves_the_settings_and_makes_no_events(world):
    # Regression (review): both processes made every event at once.
    mirror, _, board, _ = world
    standby = MirrorCommands(Mirror(mirror.agenda, mirror.events, Members(), board, lambda: False))
    saved = await standby.mirror_events(admin("g"), "on", count="3")
    assert saved.title == "Mirroring the agenda" and saved.body.startswith("Saved: the next 3")
    assert board.calls == []
    assert await mirror.events.changed_elsewhere()  # the sender sees it at its next look
    await mirror.sync_all()
    assert len(board.live("g")) == 3


async def test_a_press_during_the_catching_up_is_kept(world):
    # Regression (review): a press handled between reading Discord's list and the database
    # was taken back by the catching up.
    mirror, commands, board, _ = world
    await commands.switch(admin("g"), "interested-subscribes", "on")
    await commands.mirror_events(admin("g"), "on")
    meeting, (event_id, _) = sorted(board.live("g").items())[0]
    listed = board.interested
    presses = []

    async def interested(guild, asked):
        before = await listed(guild, asked)
        if asked == event_id:  # the member presses right after Discord answered
            board.interested_users[asked] = ["42"]
            presses.append(asyncio.create_task(mirror.interest(guild, asked, "42", True)))
        return before

    board.interested = interested
    mirror.check_interest_again("g")  # as at a start
    await mirror.sync("g")
    await asyncio.wait_for(asyncio.gather(*presses), 5)
    assert ("discord:42", meeting) in mirror.members.subscribed


async def test_a_subscription_made_on_an_earlier_event_survives_catching_up(world):
    # Regression (review): the meeting's event was made again (it left the window and came
    # back); the catching up found no one interested on the new one and unsubscribed.
    mirror, commands, board, _ = world
    await commands.switch(admin("g"), "interested-subscribes", "on")
    await commands.mirror_events(admin("g"), "on")
    meeting, (event_id, _) = sorted(board.live("g").items())[-1]
    board.interested_users[event_id] = ["42"]
    await mirror.interest("g", event_id, "42", True)
    await commands.mirror_events(admin("g"), "on", count="1")  # its event goes...
    await commands.mirror_events(admin("g"), "on", count="20")  # ...and comes back, new
    assert board.live("g")[meeting][0] != event_id
    mirror.check_interest_again("g")
    await mirror.sync("g")
    assert ("discord:42", meeting) in mirror.members.subscribed


async def test_interest_taken_back_in_one_server_keeps_it_for_another(world):
    mirror, commands, board, _ = world
    for guild in ("a", "b"):
        await commands.switch(admin(guild), "interested-subscribes", "on")
        await commands.mirror_events(admin(guild), "on", count="1")
    (meeting, (in_a, _)), (_, (in_b, _)) = (*board.live("a").items(), *board.live("b").items())
    await mirror.interest("a", in_a, "42", True)
    await mirror.interest("b", in_b, "42", True)
    await mirror.interest("a", in_a, "42", False)
    assert ("discord:42", meeting) in mirror.members.subscribed
    await mirror.interest("b", in_b, "42", False)
    assert ("discord:42", meeting) not in mirror.members.subscribed


async def test_mirror_off_that_discord_refuses_says_so_and_keeps_the_links(world):
    # Regression (review): the refusal was swallowed, the links forgotten and "0 deleted" said.
    mirror, commands, board, _ = world
    await commands.mirror_events(admin("g"), "on")

    async def refuse(guild, event_id):
        raise BoardError("Missing Permissions", permission=True)

    board.delete = refuse
    off = await commands.mirror_events(admin("g"), "off")
    assert off.title == "Mirror stopped, but events remain"
    assert "Manage Events" in off.body and "`/events mirror off` again" in off.body
    assert len(await mirror.events.links("g")) == 4


async def test_a_meeting_under_way_gets_an_event_started_at_once(world):
    # Regression (review): its past start was sent, Discord refused it, and it never showed.
    mirror, commands, board, clock = world
    clock.set(datetime(2015, 11, 18, 9, tzinfo=UTC))  # the Lomé workshop is on its second day
    shown = await commands.mirror_events(admin("g"), "on", count="2")
    assert "2 event(s) made" in shown.body and "refused" not in shown.body
    _, status = board.live("g")["rtfw-wca-2015"]
    assert status is EventStatus.ACTIVE
    edits = len([c for c in board.calls if c[0] == "edit"])
    await mirror.sync("g")  # its start stays as made: nothing to change
    assert len([c for c in board.calls if c[0] == "edit"]) == edits


async def test_the_mirror_wakes_for_the_meetings_of_the_bodies_it_shows():
    # Regression (review): the wake-up looked at the first 100 meetings of the whole agenda,
    # so a mirror of a body whose meetings came later woke up to an hour late.
    now = datetime(2015, 10, 23, 12, tzinfo=UTC)
    utc = ZoneInfo("UTC")
    meetings = {
        f"a{n}": Meeting(
            f"a{n}",
            f"A {n}",
            ("a",),
            Kind.SESSION,
            When.days(date(2015, 10, 22), date(2015, 10, 25), utc),
            Status.CONFIRMED,
        )
        for n in range(100)
    }
    start = now + timedelta(minutes=10)
    meetings["b1"] = Meeting(
        "b1", "B", ("b",), Kind.SESSION, When.at(start, None, utc), Status.CONFIRMED
    )
    agenda = SimpleNamespace(clock=FixedClock(now), agenda=SimpleNamespace(meetings=meetings))
    mirror = Mirror(agenda, None, None, None, lambda: True)
    rows = [MirrorRow("g", mirror=True, count=5, bodies="b")]
    assert mirror._next_boundary(rows, now) == start
    assert mirror._next_boundary([], now) == now + timedelta(hours=1)
