"""The agenda's revisions as the database keeps them, read back into the domain's revisions; a
row this version cannot read stops the start with a message that says why."""

from __future__ import annotations

import json
from collections import defaultdict

from bot.core import Revision
from bot.core.codec import shape_problem, stored_revision
from bot.storage import StorageError, StoredRevision


def revisions_by_meeting(rows: list[StoredRevision]) -> dict[str, list[Revision]]:
    grouped: dict[str, list[Revision]] = defaultdict(list)
    for row in rows:
        try:
            sets, sources = json.loads(row.sets), json.loads(row.sources)
            misshapen = shape_problem(sets, sources)
            if misshapen is not None:
                raise StorageError(
                    f"revision {row.id} of the agenda in the database cannot be read "
                    f"({misshapen}); the database was changed outside the bot: restore it from "
                    "a backup"
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
