"""The domain core: model, time, queries, search, neutral replies and calendar writing.

No Discord, scheduler, database or web code here, and no I/O: adapters and the service do that.
"""

from . import answers, searching
from .answers import ANSWERS
from .asked import Asked
from .calendar import (
    MEDIA_TYPE,
    CalendarFile,
    Change,
    EventCache,
    calendar_name,
    scope_labels,
    write_calendar,
)
from .clock import MAX_SPEED, Clock, FixedClock, LivingClock, SystemClock, parse_as_of
from .commands import (
    COMMANDS,
    COMMANDS_BY_NAME,
    MAX_INPUT,
    CommandSpec,
    Completion,
    OptionError,
    OptionSpec,
    OptionType,
    command_at,
    convert_options,
)
from .formatting import PlainTimes, TimeStyle, when_text
from .library import Library
from .lookup import NameIndex, Resolution
from .model import (
    Agenda,
    Body,
    Dataset,
    FeedSpec,
    Kind,
    Ladders,
    Meeting,
    Origin,
    Revision,
    Source,
    Status,
    Topic,
)
from .queries import AgendaFilter, AgendaIndex, NextMeetings, Page
from .render import Renderer
from .reply import Attachment, Field, Paging, Reply, Tone
from .schema import DataSetError, Problem, build_agenda
from .search import Hit, SearchIndex, SearchResult
from .text import clean_input, normalize, slug
from .when import (
    LocalTimeError,
    Precision,
    UnknownZoneError,
    When,
    format_lead,
    parse_lead,
    resolve_zone,
    saved_zone,
)

__all__ = [
    "ANSWERS",
    "COMMANDS",
    "COMMANDS_BY_NAME",
    "MAX_INPUT",
    "MAX_SPEED",
    "MEDIA_TYPE",
    "Agenda",
    "AgendaFilter",
    "AgendaIndex",
    "Asked",
    "Attachment",
    "Body",
    "CalendarFile",
    "Change",
    "Clock",
    "CommandSpec",
    "Completion",
    "DataSetError",
    "Dataset",
    "EventCache",
    "FeedSpec",
    "Field",
    "FixedClock",
    "Hit",
    "Kind",
    "Ladders",
    "Library",
    "LivingClock",
    "LocalTimeError",
    "Meeting",
    "NameIndex",
    "NextMeetings",
    "OptionError",
    "OptionSpec",
    "OptionType",
    "Origin",
    "Page",
    "Paging",
    "PlainTimes",
    "Precision",
    "Problem",
    "Renderer",
    "Reply",
    "Resolution",
    "Revision",
    "SearchIndex",
    "SearchResult",
    "Source",
    "Status",
    "SystemClock",
    "TimeStyle",
    "Tone",
    "Topic",
    "UnknownZoneError",
    "When",
    "answers",
    "build_agenda",
    "calendar_name",
    "clean_input",
    "command_at",
    "convert_options",
    "format_lead",
    "normalize",
    "parse_as_of",
    "parse_lead",
    "resolve_zone",
    "saved_zone",
    "scope_labels",
    "searching",
    "slug",
    "when_text",
    "write_calendar",
]
