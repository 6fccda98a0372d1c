"""Aging: which bucket a bill's balance due falls in by the bill's age."""

from __future__ import annotations

# The last whole-day age of each bucket but the last; older than 90 days is "over_90".
AGING_BUCKETS = ((30, "days_0_30"), (60, "days_31_60"), (90, "days_61_90"))
OVER_90 = "over_90"


def aging_bucket(age_days: int) -> str:
    """The bucket of a bill ``age_days`` whole days old: 0-30, 31-60, 61-90, over 90."""
    return next((name for most, name in AGING_BUCKETS if age_days <= most), OVER_90)
