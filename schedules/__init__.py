"""The reminder engine: plans fire times, runs APScheduler, delivers exactly once.

It knows nothing of the bot: it plans and fires reminders for opaque targets and hands each due
fire point to the delivery callbacks of a `Source` the bot provides.
"""

from .engine import JOB_DEFAULTS, RETRY_FIRST, ReminderEngine, Stats
from .lease import LEASE, Lease
from .ledger import Claim, Claimed, Ledger, Record, State, metadata, nonce_for
from .plan import FirePoint, Precision, Target, fire_instant, plan
from .source import Attempt, Clock, Destination, EngineBusy, Late, Outcome, Source

__all__ = [
    "JOB_DEFAULTS",
    "LEASE",
    "RETRY_FIRST",
    "Attempt",
    "Claim",
    "Claimed",
    "Clock",
    "Destination",
    "EngineBusy",
    "FirePoint",
    "Late",
    "Lease",
    "Ledger",
    "Outcome",
    "Precision",
    "Record",
    "ReminderEngine",
    "Source",
    "State",
    "Stats",
    "Target",
    "fire_instant",
    "metadata",
    "nonce_for",
    "plan",
]
