"""Discord's timestamp markup: every reader sees the instant in their own zone and language."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo


class DiscordTimes:
    """A TimeStyle for Discord: `<t:unix:F>` for a full date and time, `<t:unix:R>` relative."""

    def moment(self, start: datetime, end: datetime | None, zone: ZoneInfo) -> str:
        text = f"<t:{int(start.timestamp())}:F>"
        if end is not None and end > start:
            style = "t" if end - start < _DAY and end.date() == start.date() else "F"
            text += f" – <t:{int(end.timestamp())}:{style}>"
        return text

    def relative(self, instant: datetime, now: datetime) -> str:
        return f"<t:{int(instant.timestamp())}:R>"


_DAY = datetime(2000, 1, 2) - datetime(2000, 1, 1)
DISCORD_TIMES = DiscordTimes()
