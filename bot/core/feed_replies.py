"""Calendar feeds in words: the replies of /calendar link and /calendar revoke."""

from __future__ import annotations

from .model import Agenda
from .reply import Reply, error, not_found

NOT_SERVED = error(
    "Calendar feeds are not served here",
    "The bot's web server is off (`WEB_ENABLED`, `WEB_PORT`); `/calendar file` gives a file "
    "instead.",
)
NOTHING_TO_REVOKE = not_found("No personal feed to turn off", "`/calendar link me` makes one.")


def personal_link(webcal: str, https: str) -> Reply:
    return Reply(
        "Your personal calendar feed",
        f"Add this address to your calendar application:\n{webcal}\n{https}\n\n"
        "It shows the meetings your subscriptions cover, with your lead times as alarms. Keep "
        "it private: anyone with it sees them. `/calendar revoke` turns off every address of "
        "your feed.",
    )


def link(what: str, webcal: str, https: str) -> Reply:
    return Reply(
        f"Calendar feed: {what}",
        f"Subscribe in your calendar application (it keeps it up to date):\n{webcal}\n{https}",
    )


def unknown_scope(text: str) -> Reply:
    return not_found(
        f"Nothing called '{text}'",
        "Try `/calendar link` for the whole agenda, a body (`PTC`), a topic (`3d printing`), or "
        "`me` for your own feed.",
    )


def revoked(count: int) -> Reply:
    return Reply(
        "Personal feed turned off",
        (
            "The address of your feed no longer works."
            if count == 1
            else f"The {count} addresses of your feed no longer work."
        )
        + " `/calendar link me` makes a new one.",
    )


def scope_label(agenda: Agenda, kind: str, ident: str) -> str:
    """What a feed of a body, a topic or a meeting is called in a reply."""
    if kind == "body":
        return agenda.bodies[ident].label
    if kind == "topic":
        return agenda.topics[ident].name
    return agenda.meetings[ident].title
