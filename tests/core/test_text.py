"""Reading what people type: one strict way to read a number."""

import pytest

from bot.core.text import whole_number


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("2", 2),
        (" 12 ", 12),
        ("007", 7),
        ("²", None),  # str.isdigit() says yes; int() says no
        ("٣", None),  # Arabic-Indic three: int() would read it
        ("１", None),  # full-width one
        ("1e3", None),
        ("+2", None),
        ("-1", None),
        ("", None),
        ("9" * 40, None),
    ],
)
def test_whole_numbers_are_ascii_digits_only(text, number):
    assert whole_number(text) == number
