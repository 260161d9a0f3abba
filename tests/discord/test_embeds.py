"""Replies as embeds, within Discord's limits, without a network."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from bot.core import Field, Paging, Reply, Tone
from bot.discord import DISCORD_TIMES, to_message
from bot.discord.embeds import (
    SHORTENED,
    _split_each_line,
    _split_lines,
    cut,
    link_commands,
    split_value,
)

texts = st.text(min_size=0, max_size=3000)
replies = st.builds(
    Reply,
    title=st.text(min_size=1, max_size=400),
    body=st.text(max_size=5000),
    fields=st.lists(st.builds(Field, st.text(min_size=1, max_size=300), texts), max_size=40).map(
        tuple
    ),
    footer=st.text(max_size=2500),
    tone=st.sampled_from(list(Tone)),
)


def check_limits(embed):
    assert len(embed.title or "") <= 256
    assert len(embed.description or "") <= 4096
    assert len(embed.fields) <= 25
    assert all(len(f.name) <= 256 and 0 < len(f.value) <= 1024 for f in embed.fields)
    assert all(f.value.strip() for f in embed.fields)
    assert len(embed.footer.text or "") <= 2048
    assert len(embed) <= 6000


@given(replies)
def test_any_reply_fits_discord(reply):
    message = to_message(reply)
    assert len(message.embeds) == 1
    check_limits(message.embeds[0])
    assert message.ephemeral is (reply.tone is not Tone.INFO)


def test_a_long_field_continues_in_further_fields():
    value = "\n".join(f"• source number {i} with a long title" for i in range(80))
    embed = to_message(Reply("T", fields=(Field("Sources", value),))).embeds[0]
    assert [f.name for f in embed.fields][:3] == [
        "Sources",
        "Sources (continued)",
        "Sources (continued)",
    ]
    assert "\n".join(f.value for f in embed.fields) == value


def test_what_does_not_fit_is_cut_and_said():
    fields = tuple(Field(f"F{i}", "x" * 1000) for i in range(10))
    embed = to_message(Reply("T", fields=fields)).embeds[0]
    check_limits(embed)
    assert SHORTENED in embed.footer.text


def test_pages_are_named_in_the_footer():
    reply = Reply("T", footer="as of today", paging=Paging(2, 5, 45, "/agenda"))
    assert to_message(reply).embeds[0].footer.text == "Page 2 of 5 · as of today"


def test_errors_are_ephemeral_and_red():
    message = to_message(Reply("No", body="Try x", tone=Tone.ERROR))
    assert message.ephemeral
    assert message.embeds[0].colour.value == 0xC0392B


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [("short", 10, "short"), ("one two three four", 10, "one two…"), ("x" * 12, 10, "x" * 9 + "…")],
)
def test_cut(text, limit, expected):
    assert cut(text, limit) == expected


@given(st.text(max_size=5000), st.integers(min_value=1, max_value=1024))
def test_split_value_keeps_every_character(value, limit):
    chunks = split_value(value, limit)
    assert all(len(chunk) <= limit for chunk in chunks)
    # Every visible character survives, in order (blank chunks become a zero-width space).
    visible = "".join(value.split())
    assert "".join("".join(chunks).replace("\u200b", "").split()) == visible


@given(st.text(alphabet=st.sampled_from("ab \n\t\u200b"), max_size=40), st.integers(1, 40))
def test_a_value_that_fits_is_split_as_line_by_line(value, limit):
    # Issue 16: a value within the limit skips the line-by-line pass; the same chunks.
    assert split_value(value, limit) == _split_lines(value, limit)


@given(
    st.lists(st.text(alphabet=st.sampled_from("ab \t\u200b"), max_size=12), max_size=30).map(
        "\n".join
    ),
    st.integers(1, 40),
)
def test_lines_packed_by_their_breaks_are_the_chunks_packed_line_by_line(value, limit):
    # Issue 16: a long value is cut at the last line break within the limit, rather than
    # packed a line at a time; the same chunks, with empty lines and lines over the limit.
    assert _split_lines(value, limit) == _split_each_line(value, limit)


# Lines of any length around the limit (a line at it, one over it), with what could pass for a
# line break and is not one ("\r", "\u2028", "\x85", which str.split() and strip() know),
# characters beyond one byte and beyond the BMP, blanks and the zero-width space.
_CHARACTERS = st.sampled_from("ab \t\r\u200b\u2028\x85é🙂")


@st.composite
def _lines_around(draw: st.DrawFn) -> tuple[str, int]:
    limit = draw(st.integers(1, 30))
    lengths = st.sampled_from([0, 1, limit - 1, limit, limit + 1, 2 * limit, 2 * limit + 1])
    lines = draw(
        st.lists(
            st.one_of(
                lengths.flatmap(lambda n: st.text(_CHARACTERS, min_size=n, max_size=n)),
                st.text(_CHARACTERS, max_size=limit),
            ),
            max_size=12,
        )
    )
    return draw(st.sampled_from(["\n", "\r\n"])).join(lines), limit


@given(_lines_around())
@example(("a" * 10, 10))  # exactly at the limit
@example(("a" * 11, 10))  # one over, without a break
@example(("a" * 4 + "\n" + "b" * 5, 10))  # two lines, exactly at the limit
@example(("a" * 4 + "\n" + "b" * 6, 10))  # two lines, one over
@example(("a" * 10 + "\n" + "b" * 10, 10))  # two lines at the limit each
@example(("a\r\nb\r\n" * 5, 6))  # Windows line ends: the "\r" stays with its line
@example(("x" * 25 + "\ny", 10))  # a long line first, then a short one
@example(("🙂" * 9 + "\n" + "é" * 9, 10))  # characters, not bytes
@example((" \n \n" + "a" * 12, 5))  # blank lines, then a long one
@example(("a\n\u2028\nb" * 3, 3))  # a chunk blank to strip(): the zero-width space
def test_split_value_gives_the_chunks_of_the_line_by_line_pass(case):
    # Issue 16: however a value is split (whole, cut at breaks, or line by line), the chunks
    # are those of the line-by-line pass.
    value, limit = case
    assert split_value(value, limit) == _split_each_line(value, limit)
    assert _split_lines(value, limit) == _split_each_line(value, limit)


def test_a_list_of_meetings_over_the_limit_is_cut_between_its_lines():
    lines = [f"Meeting {n}: Mon 2 Dec 2024 (`/meeting m-{n}`)" for n in range(60)]
    chunks = _split_lines("\n".join(lines), 1024)
    assert len(chunks) > 1 and all(len(chunk) <= 1024 for chunk in chunks)
    assert "\n".join(chunks).split("\n") == lines
    assert chunks == _split_each_line("\n".join(lines), 1024)


def test_discord_timestamps():
    start = datetime(2016, 3, 4, 13, 0, tzinfo=UTC)
    end = datetime(2016, 3, 4, 16, 30, tzinfo=UTC)
    zone = ZoneInfo("Europe/Brussels")
    assert DISCORD_TIMES.moment(start, end, zone) == "<t:1457096400:F> – <t:1457109000:t>"
    assert DISCORD_TIMES.moment(start, None, zone) == "<t:1457096400:F>"
    assert DISCORD_TIMES.relative(start, start) == "<t:1457096400:R>"


class FakeTime:
    def __init__(self):
        self.now = 100.0
        self.slept = []

    def clock(self):
        return self.now

    async def sleep(self, seconds):
        self.slept.append(round(seconds, 6))
        self.now += seconds


async def test_the_window_lets_a_limit_through_then_waits_for_the_next_window():
    from bot.discord.delivery import Window

    time = FakeTime()
    window = Window(3, per=1.0, margin=0.0, clock=time.clock, sleep=time.sleep)
    for _ in range(7):
        await window.wait()
    assert time.slept == [1.0, 1.0]  # 3 now, 3 a second later, then the 7th


async def test_the_dm_throttle_spaces_calls_evenly():
    from bot.discord.delivery import Throttle

    time = FakeTime()
    throttle = Throttle(2.0, clock=time.clock, sleep=time.sleep)
    for _ in range(3):
        await throttle.wait()
    assert time.slept == [0.5, 0.5]


def test_mentions_are_split_into_messages_discord_accepts():
    from bot.discord.delivery import MENTIONS_PER_MESSAGE, mention_batches

    users = tuple(str(10**18 + n) for n in range(200))
    batches = mention_batches(users)
    assert [len(b) for b in batches] == [80, 80, 40]
    assert all(len(" ".join(f"<@{u}>" for u in b)) <= 2000 for b in batches)
    assert MENTIONS_PER_MESSAGE <= 100
    assert mention_batches(()) == [()]


def _every_command_replaced(text: str, command_ids: dict[str, int]) -> str:
    for name, command_id in command_ids.items():
        text = text.replace(f"`/{name} ", f"</{name}:{command_id}> `")
        text = text.replace(f"`/{name}`", f"</{name}:{command_id}>")
    return text


@given(
    st.lists(
        st.sampled_from(
            ["`/next`", "`/meeting ", "`/", "/next", "`", " ", "calendar", "x\n", "/", "-list", "é"]
        ),
        max_size=16,
    ).map("".join)
)
def test_command_links_skip_the_commands_a_text_does_not_name_with_the_same_result(text):
    ids = {"next": 11, "meeting": 12, "calendar": 13, "meeting-list": 14}
    assert link_commands(text, ids) == _every_command_replaced(text, ids)
    assert (
        link_commands("`/meeting ptc-211` or `/next`", ids)
        == "</meeting:12> `ptc-211` or </next:11>"
    )


def test_a_reply_answered_again_has_its_embeds_made_once_for_the_same_command_ids():
    from types import SimpleNamespace

    from bot.discord.responses import _message

    reply = Reply(title="Next: PTC", body="See `/meeting ptc-211`.")
    synced = SimpleNamespace(client=SimpleNamespace(command_ids={"meeting": 11}))
    first = _message(synced, reply)  # type: ignore[arg-type]
    assert _message(synced, reply) is first  # type: ignore[arg-type]
    assert first.embeds[0].description == "See </meeting:11> `ptc-211`."
    # Synced again (the bot makes a new dict of ids): the mentions follow.
    synced.client.command_ids = {"meeting": 12}
    again = _message(synced, reply)  # type: ignore[arg-type]
    assert again.embeds[0].description == "See </meeting:12> `ptc-211`."
    # An equal reply made anew is not taken for the first: its embeds are made too.
    twin = Reply(title="Next: PTC", body="See `/meeting ptc-211`.")
    assert _message(synced, twin) is not again  # type: ignore[arg-type]
    assert _message(synced, twin).embeds[0].to_dict() == again.embeds[0].to_dict()  # type: ignore[arg-type]


def test_a_reply_with_a_calendar_file_is_not_kept_with_its_embeds():
    # Regression: the embeds of the last 64 replies were kept with the replies, calendar files
    # among them (written anew at each /calendar, megabytes each for a large agenda): up to 64
    # files kept alive for nothing.
    from types import SimpleNamespace

    from bot.core import Attachment
    from bot.discord.responses import _MADE, _message

    content = b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n" * 1000
    reply = Reply(title="Calendar", attachment=Attachment("agenda.ics", content, "text/calendar"))
    synced = SimpleNamespace(client=SimpleNamespace(command_ids={}))
    assert _message(synced, reply).embeds[0].title == "Calendar"  # type: ignore[arg-type]
    assert all(made() is not reply for made in _MADE.values())


def test_a_kept_reply_asked_again_after_many_others_has_its_embeds_made_once():
    # Regression: the embeds of only the last 64 replies were kept, apart from the replies: a
    # topic asked again after 64 other answers (the service still keeping its reply) had its
    # embeds made again at every asking.
    from types import SimpleNamespace

    from bot.discord.responses import _MADE, _message

    synced = SimpleNamespace(client=SimpleNamespace(command_ids={"meeting": 11}))
    kept = [Reply(title=f"Topic {n}", body=f"`/meeting m-{n}`") for n in range(200)]
    first = [_message(synced, reply) for reply in kept]  # type: ignore[arg-type]
    assert all(_message(synced, r) is m for r, m in zip(kept, first, strict=True))  # type: ignore[arg-type]
    # Let go by the service, a reply takes its embeds with it (its id may be another's).
    gone = id(kept[0])
    del kept[0], first[0]
    assert gone not in _MADE


def test_the_embeds_kept_are_no_more_than_the_answers_the_renderer_keeps(mini, monkeypatch):
    # The embeds live as long as their reply; the replies that live on are those the agenda
    # keeps (`Renderer`, at most RENDERINGS_KEPT): past that, the embeds go with them.
    from types import SimpleNamespace

    from bot.core import PlainTimes, Renderer
    from bot.core import render as rendering
    from bot.discord.responses import _MADE, _message
    from tests.conftest import MINI_DAY

    monkeypatch.setattr(rendering, "RENDERINGS_KEPT", 4)
    synced = SimpleNamespace(client=SimpleNamespace(command_ids={"meeting": 11}))
    made = set()
    for zone in ("UTC", "Asia/Tokyo", "America/Cancun", "Europe/Brussels", "Africa/Lome") * 4:
        for topic in mini.topics.values():
            reply = Renderer(mini, PlainTimes(ZoneInfo(zone))).topic(topic, MINI_DAY)
            _message(synced, reply)  # type: ignore[arg-type]
            made.add(id(reply))
    del reply
    assert len(mini.renderings) <= 4
    assert len(made & _MADE.keys()) <= 4


def test_embeds_kept_under_an_id_are_not_those_of_another_reply_with_it():
    # An id is another object's once its reply is gone: were the embeds kept under it still
    # there, the reply now with that id is not answered with them.
    from types import SimpleNamespace

    from bot.discord.responses import _MADE, _message

    synced = SimpleNamespace(client=SimpleNamespace(command_ids={}))
    old, new = Reply(title="Old"), Reply(title="New")
    _message(synced, old)  # type: ignore[arg-type]
    _MADE[id(new)] = _MADE.pop(id(old))  # as if `new` had `old`'s id, `old`'s embeds not let go
    assert _message(synced, new).embeds[0].title == "New"  # type: ignore[arg-type]
    assert _MADE[id(new)]() is new
