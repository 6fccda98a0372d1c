"""Webhooks: which events an endpoint takes (type names with ``*`` wildcards), and when a failed
delivery is tried again.

The retry schedule promises receivers (API.md "Events and webhooks"): no more than 60 seconds
between attempts for the first 10 minutes after the event, then gaps that grow (a quarter of the
event's age, up to an hour), for three days; then the delivery is abandoned. That is well over the
24 hours the contract asks for, and ~85 attempts in all.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from clientledger.kit.errors import ValidationFailed

EVENT_TYPES = (
    "payment.created",
    "refund.created",
    "refund.settled",
    "refund.failed",
    "bill.created",
    "bill.paid",
    "credit.created",
    "credit.applied",
    "credit.returned",
    "credit.removed",
    "credit.refunded",
)
"""Every event type the outbox writes (API.md), for checking an endpoint's filters."""

ALL_EVENTS = "*"
_PATTERN = re.compile(r"^[a-z*][a-z_.*]{0,79}$")

QUICK_DELAYS = (2, 5, 10, 20, 40, 60)
"""Seconds before the 2nd, 3rd, ... attempt while the event is young; 60 after those."""
QUICK_PERIOD = timedelta(minutes=10)
QUICK_MAX = timedelta(seconds=60)
SLOW_MAX = timedelta(hours=1)
GIVE_UP_AFTER = timedelta(days=3)


def _regex(pattern: str) -> re.Pattern[str]:
    return re.compile("^" + ".*".join(re.escape(part) for part in pattern.split("*")) + "$")


def matches(patterns: Iterable[str], event_type: str) -> bool:
    """Whether an endpoint with these filters takes an event of ``event_type``."""
    return any(_regex(p).match(event_type) for p in patterns)


def event_filters(patterns: Sequence[str] | None) -> list[str]:
    """An endpoint's filters as given (deduplicated; none given: every event), each checked to name
    at least one known type, so a typo (``credit.aplied``) is refused rather than silently matching nothing."""
    if patterns is None:
        return [ALL_EVENTS]
    if not patterns:
        raise ValidationFailed("events: name at least one event type (or leave it out for every event).")
    kept: list[str] = []
    for raw in patterns:
        pattern = raw.strip()
        if not _PATTERN.match(pattern) or not any(_regex(pattern).match(t) for t in EVENT_TYPES):
            known = ", ".join(EVENT_TYPES)
            raise ValidationFailed(
                f"events: {raw!r} names no event type; use one of {known}, or a pattern like credit.* or *."
            )
        if pattern not in kept:
            kept.append(pattern)
    return kept


def next_attempt_at(*, event_at: datetime, now: datetime, failures: int) -> datetime | None:
    """When to try a delivery again after its ``failures``-th failed attempt at ``now``; None: give up."""
    age = max(now - event_at, timedelta(0))
    if age < QUICK_PERIOD:
        delay = timedelta(seconds=QUICK_DELAYS[min(max(failures, 1), len(QUICK_DELAYS)) - 1])
        delay = min(delay, QUICK_MAX)
    else:
        delay = min(max(age / 4, QUICK_MAX), SLOW_MAX)
    due = now + delay
    return None if due > event_at + GIVE_UP_AFTER else due
