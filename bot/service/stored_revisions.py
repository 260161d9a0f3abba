"""The agenda's revisions as the database keeps them, read back into the domain's revisions; a
row this version cannot read stops the start with a message that says why."""

from __future__ import annotations

import json
from collections import defaultdict

from bot.core import Revision
from bot.core.codec import stored_revision
from bot.storage import StorageError, StoredRevision


def revisions_by_meeting(rows: list[StoredRevision]) -> dict[str, list[Revision]]:
    grouped: dict[str, list[Revision]] = defaultdict(list)
    for row in rows:
        try:
            sets, sources = json.loads(row.sets), json.loads(row.sources)
            if not _shaped_as_written(sets, sources):
                raise StorageError(
                    f"revision {row.id} of the agenda in the database cannot be read (its sets "
                    "are not a JSON object, or its sources not a list of objects); the database "
                    "was changed outside the bot: restore it from a backup"
                )
            revision = stored_revision(
                row.known,
                sets,
                sources,
                row.by,
                row.why,
                row.origin,
                f"db:{row.id}",
            )
        except (ValueError, KeyError) as problem:  # a status, origin or field we lack; not JSON
            raise StorageError(
                f"revision {row.id} of the agenda in the database cannot be read ({problem}); a "
                "newer version of the bot probably wrote it: run that version"
            ) from problem
        grouped[row.meeting_id].append(revision)
    return dict(grouped)


def _shaped_as_written(sets: object, sources: object) -> bool:
    """Every version writes a revision's sets as an object and its sources as a list of objects;
    anything else was not written by the bot."""
    return isinstance(sets, dict) and (
        isinstance(sources, list) and all(isinstance(source, dict) for source in sources)
    )
