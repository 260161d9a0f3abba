import pytest

from bot.console import ParseError, parse_line


@pytest.mark.parametrize(
    ("line", "name", "options"),
    [
        ("/next", "next", {}),
        ("/topic 3d printing", "topic", {"topic": "3d printing"}),
        ("/TOPIC   3d   printing ", "topic", {"topic": "3d printing"}),
        (
            "/agenda body:policy commission past:yes",
            "agenda",
            {"body": "policy commission", "past": "yes"},
        ),
        ("/agenda PTC kind:session", "agenda", {"body": "PTC", "kind": "session"}),
        ("/agenda past", "agenda", {"past": "yes"}),
        ('/meeting "PTC 211"', "meeting", {"meeting": "PTC 211"}),
        ("/search c21: strategy page:2", "search", {"query": "c21: strategy", "page": "2"}),
        ("/search query:brokers", "search", {"query": "brokers"}),
        ("/calendar BODY:ptc Alarms:yes", "calendar file", {"body": "ptc", "alarms": "yes"}),
        ("/calendar file ptc", "calendar file", {"body": "ptc"}),
        ("/calendar link PTC", "calendar link", {"scope": "PTC"}),
        ("/calendar link", "calendar link", {}),
        ("/calendar revoke", "calendar revoke", {}),
        ("future of customs", "search", {"query": "future of customs"}),
        ("/help agenda", "help", {"command": "agenda"}),
    ],
)
def test_parse(line, name, options):
    invocation = parse_line(line)
    assert invocation.command.path == name
    assert invocation.options == options


@pytest.mark.parametrize("line", ["", "   ", "\t", "\x00\x01"])
def test_blank_lines(line):
    assert parse_line(line) is None


@pytest.mark.parametrize(
    ("line", "title", "hint"),
    [
        ("/tpoic kyoto", "Unknown command /tpoic", "Did you mean `/topic`?"),
        ("/", "Unknown command /", "Type `/help`"),
        ("/topic", "/topic needs topic", "Usage: `/topic <topic>`"),
        ("/meeting   ", "/meeting needs meeting", "for example `/meeting PTC 211`"),
        ("/topics everything", "/topics needs its options by name", "`/topics [page:…]`"),
        ("/agenda body:ptc body:pc", "body: given twice", "Give each option once"),
        ("/calendar revoke now", "/calendar revoke takes no options", "`/calendar revoke`"),
    ],
)
def test_errors_say_what_to_type(line, title, hint):
    with pytest.raises(ParseError) as raised:
        parse_line(line)
    assert raised.value.title == title
    assert hint in raised.value.hint
