"""What /events, /attending and /attendees say."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .mirroring import DEFAULT_COUNT, GUILD_EVENT_CAP
from .model import Meeting
from .reply import Field, Reply, error


def who(owner: str) -> str:
    """A member as Discord shows them (a mention, which pings no one: mentions are off)."""
    if owner.startswith("discord:"):
        return f"<@{owner.removeprefix('discord:')}>"
    return "you (console)" if owner == "console" else owner


@dataclass(frozen=True, slots=True)
class MirrorState:
    """A server's settings and what its events show, for /events status."""

    mirror: bool
    count: int
    bodies: tuple[str, ...]  # names, for reading
    interested_subscribes: bool
    going_count: bool
    mirrored: int
    dismissed: int
    problem: str


SERVER_ONLY = error(
    "This works in a Discord server only",
    "Scheduled events belong to a server: run `/events` in a channel of the server whose "
    "Events list should show the agenda.",
)
NEEDS_MANAGE = error(
    "You need Manage Server to change this server's events",
    "Ask someone with Manage Server to run it.",
)
NO_BOARD = error(
    "Scheduled events are not reachable here",
    "The mirror runs in the Discord bot (`python -m bot` with a DISCORD_TOKEN).",
)
MISSING_PERMISSION = (
    "The bot cannot manage this server's events: give its role **Manage Events** "
    "(Server Settings > Roles), then run `/events mirror on` again."
)
PAST_CLOCK = (
    "Discord refuses events that start in the past, and this bot runs at an earlier date "
    "(--as-of): run it on the real clock to mirror the agenda."
)


def choice_of(text: str | None, choices: Sequence[str], name: str) -> str | Reply:
    """One of `choices` (any case, spaces around), or the reply that lists them."""
    key = (text or "").strip().casefold()
    if key in choices:
        return key
    return error(
        "That option does not work",
        f"{name}: '{(text or '')[:40]}' is not one of {', '.join(choices)}; "
        f"write `{name}:{choices[0]}`.",
    )


def bad_count(text: str) -> Reply:
    return error(
        "That count does not work",
        f"'{text[:40]}' is not a number from 1 to {GUILD_EVENT_CAP}; "
        f"write `/events mirror on count:{DEFAULT_COUNT}`.",
    )


def bad_body(text: str) -> Reply:
    return error(
        "No such body",
        f"No body is called '{text[:80]}'. Separate bodies with commas: "
        "`/events mirror on bodies:PTC, Council`.",
    )


def mirror_reply(
    count: int,
    asked: int,
    scope: str,
    created: int,
    changed: int,
    left_out: int,
    problem: str,
    refused: Sequence[str] = (),
) -> Reply:
    if problem:
        return error("The server's events could not be made", problem)
    lines = [
        f"This server's Events list now shows the next {count} dated meetings of {scope}, "
        "kept in step with the agenda."
    ]
    if count < asked:
        lines.append(
            f"You asked for {asked}; Discord allows {GUILD_EVENT_CAP} scheduled events per "
            f"server and other events take the rest, so {count} it is."
        )
    lines.append(f"{created} event(s) made, {changed} updated.")
    if left_out:
        lines.append(f"{left_out} meeting(s) wait for room under Discord's cap.")
    if refused:
        lines.append(
            f"Discord refused {len(refused)} event(s): {refused[0]}. They are not sent again "
            "until their meeting changes; `/events status` shows this."
        )
    lines.append(
        "An event a moderator deletes stays deleted; `/events mirror on` again brings it back."
    )
    return Reply(title="Mirroring the agenda", body="\n".join(lines))


def mirror_off_reply(deleted: int, problem: str = "") -> Reply:
    if problem:
        return error(
            "Mirror stopped, but events remain",
            f"{deleted} event(s) were deleted; the others could not be: {problem} "
            "Run `/events mirror off` again to delete them.",
        )
    return Reply(
        title="Mirror stopped",
        body=f"{deleted} event(s) of the agenda were deleted from this server's Events list. "
        "Subscriptions made by pressing Interested stay.",
    )


def mirror_saved_reply(count: int, scope: str) -> Reply:
    return Reply(
        title="Mirroring the agenda",
        body=f"Saved: the next {count} dated meetings of {scope}. The bot's process that sends "
        "the reminders brings this server's Events list in line within a minute; "
        "`/events status` shows how it went.",
    )


def switch_reply(what: str, on: bool) -> Reply:
    texts = {
        "interested-subscribes": (
            "Pressing Interested on an event of the agenda now subscribes that member to "
            "its meeting's reminders, by direct message; taking it back unsubscribes.",
            "Pressing Interested no longer subscribes anyone; subscriptions already made stay.",
        ),
        "going-count": (
            "`/meeting` and the web page now show how many of this server go.",
            "`/meeting` and the web page no longer show how many of this server go.",
        ),
    }
    on_text, off_text = texts[what]
    return Reply(title=f"/events {what}: {'on' if on else 'off'}", body=on_text if on else off_text)


def status_reply(state: MirrorState) -> Reply:
    if state.mirror:
        scope = ", ".join(state.bodies) if state.bodies else "every body"
        mirror = f"on: the next {state.count} meetings of {scope}; {state.mirrored} event(s) now"
        if state.dismissed:
            mirror += f"; {state.dismissed} deleted by a moderator and left out"
    else:
        mirror = "off (`/events mirror on` to start)"
    fields = [
        Field("Mirror", mirror),
        Field("Interested subscribes", "on" if state.interested_subscribes else "off"),
        Field("Going count", "on" if state.going_count else "off"),
    ]
    if state.problem:
        fields.append(Field("Problem", state.problem))
    return Reply(title="This server's events", fields=tuple(fields))


def attending_reply(meeting: Meeting, answer: str, going: int) -> Reply:
    said = {"yes": "You go to", "no": "You do not go to", "maybe": "You might go to"}[answer]
    return Reply(
        title="Noted",
        body=f"{said} **{meeting.title}**. Going from this server so far: {going}; "
        f"`/attendees {meeting.id}` lists who.",
    )


def attendees_reply(
    meeting: Meeting,
    answers: Sequence[tuple[str, str]],
    interested: Sequence[str],
) -> Reply:
    """`answers`: (owner, yes|no|maybe); `interested`: owners interested on the event."""
    fields = []
    for answer, name in (("yes", "Going"), ("maybe", "Maybe"), ("no", "Not going")):
        owners = [owner for owner, said in answers if said == answer]
        if owners:
            fields.append(Field(f"{name} ({len(owners)})", _names(owners)))
    if interested:
        fields.append(Field(f"Interested on the event ({len(interested)})", _names(interested)))
    body = "" if fields else f"No one has said yet. `/attending {meeting.id}` to say you go."
    return Reply(title=f"Attendees: {meeting.title}", body=body, fields=tuple(fields))


def going_text(count: int, meeting_id: str) -> str:
    return f"{count} from this server (`/attendees {meeting_id}` lists who)"


def _names(owners: Sequence[str], limit: int = 40) -> str:
    shown = ", ".join(who(owner) for owner in owners[:limit])
    return shown + (f" and {len(owners) - limit} more" if len(owners) > limit else "")
