"""The faster line folding, against the character-by-character one it replaced."""

from hypothesis import given
from hypothesis import strategies as st

from bot.core.calendar import fold


def fold_before(text: str) -> str:
    """fold() as it was: one character at a time."""
    out = []
    for line in text.split("\r\n"):
        if len(line.encode("utf-8")) <= 75:
            out.append(line)
            continue
        chunk = ""
        size = 0
        limit = 75
        for char in line:
            width = len(char.encode("utf-8"))
            if size + width > limit:
                out.append(chunk)
                chunk, size, limit = " ", 1, 75
            chunk += char
            size += width
        out.append(chunk)
    return "\r\n".join(out)


# One to four octets in UTF-8, and the line ends in every arrangement.
LETTERS = st.sampled_from(["a", "Z", " ", ";", "é", "ß", "€", "中", "😀", "𝄞", "\r", "\n", "\r\n"])
LINES = st.lists(LETTERS, max_size=400).map("".join)


@given(st.text())
def test_fold_equals_the_character_loop_on_any_text(text):
    assert fold(text) == fold_before(text)


@given(st.lists(LINES, max_size=6).map("\r\n".join))
def test_fold_equals_the_character_loop_on_long_multibyte_lines(text):
    folded = fold(text)
    assert folded == fold_before(text)
    assert all(len(line.encode("utf-8")) <= 75 for line in folded.split("\r\n"))
