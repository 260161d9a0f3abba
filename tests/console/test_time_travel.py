"""`--as-of` shows what was known on that date (issue 11): the bot process, the bundled data."""

import re
from datetime import UTC, datetime

from bot.core.revisions import view_at
from tests.console.test_console import run_bot

NEWS_ITEM = datetime(2015, 10, 23, 23, 59, tzinfo=UTC)


def listed_ids(output: str) -> set[str]:
    return set(re.findall(r"`/meeting ([a-z0-9-]+)`", output))


def test_on_the_news_items_day_nothing_announced_later_is_listed(wco):
    commands = [
        "/agenda",
        "/agenda past:yes",
        "/agenda past:yes page:2",
        "/next",
        "/search entry into force",
        "/search punta cana",
        "/meeting PC 74",
        "/meeting PTC 211",
    ]
    result = run_bot("--as-of", "2015-10-23", stdin="\n".join(commands) + "\n")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    known = set(view_at(wco, NEWS_ITEM).meetings)
    later = set(wco.meetings) - known
    assert {"tfa-eif", "ptc-213-214", "pc-75"} <= later
    assert listed_ids(out) and listed_ids(out) <= known
    assert "Punta Cana" not in out  # PC 74 had neither place nor outcome yet
    assert "Resolution" not in out
    ptc = out.rsplit("**Permanent Technical Committee, 211th/212th Sessions**\n", 1)[1]
    assert ptc.split("\n\n**When**\n", 1)[1].startswith("Wed 2 – Fri 4 Mar 2016")
    assert "**Outcome**" not in out


def test_after_the_ptc_met_it_is_held_with_its_outcome():
    result = run_bot("--as-of", "2016-03-10", stdin="/meeting PTC 211\n")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "\n**When**\nWed 2 – Thu 3 Mar 2016" in out
    assert "\n**Status**\nheld" in out
    assert "**Outcome**\nOver 170 delegates" in out
