"""Which events an endpoint takes, and the retry schedule receivers are promised."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clientledger.kit.errors import ValidationFailed
from clientledger.rules.webhooks import EVENT_TYPES, event_filters, matches, next_attempt_at

T0 = datetime(2026, 12, 2, 9, 0, 0)


def test_wildcards_match_by_type_name() -> None:
    assert matches(["*"], "refund.failed")
    assert matches(["credit.*"], "credit.applied") and not matches(["credit.*"], "payment.created")
    assert matches(["*.created"], "bill.created") and not matches(["*.created"], "bill.paid")
    assert matches(["bill.paid", "refund.*"], "refund.settled")
    assert not matches(["credit.applied"], "credit.applied.extra")


def test_filters_default_to_everything_and_refuse_what_names_no_type() -> None:
    assert event_filters(None) == ["*"]
    assert event_filters(["credit.*", " credit.* ", "bill.paid"]) == ["credit.*", "bill.paid"]
    for bad in (["credit.aplied"], ["invoice.*"], ["Credit.applied"], ["credit.[a]*"], []):
        with pytest.raises(ValidationFailed):
            event_filters(bad)


def _schedule(failures: int) -> list[datetime]:
    """The attempt times of a delivery that always fails, its first attempt at the event's time."""
    times, now = [T0], T0
    for n in range(1, failures + 1):
        due = next_attempt_at(event_at=T0, now=now, failures=n)
        if due is None:
            break
        times.append(due)
        now = due
    return times


def test_attempts_are_at_most_a_minute_apart_for_ten_minutes_then_further_apart() -> None:
    times = _schedule(500)
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(times)]
    assert gaps[:6] == [2, 5, 10, 20, 40, 60]
    early = [g for t, g in zip(times, gaps, strict=False) if t - T0 < timedelta(minutes=10)]
    assert early and max(early) <= 60
    assert gaps == sorted(gaps)  # never closer together again
    assert max(gaps) == 3600
    assert times[-1] - T0 >= timedelta(hours=24)  # kept trying for at least a day
    assert times[-1] - T0 <= timedelta(days=3)


@given(st.integers(min_value=1, max_value=200), st.integers(min_value=0, max_value=4 * 86400))
def test_no_gap_is_over_a_minute_while_the_event_is_young(failures: int, age: int) -> None:
    now = T0 + timedelta(seconds=age)
    due = next_attempt_at(event_at=T0, now=now, failures=failures)
    if age < 600:
        assert due is not None and due - now <= timedelta(seconds=60)
    if due is None:
        assert now + timedelta(seconds=60) > T0 + timedelta(days=3) - timedelta(hours=1)
    else:
        assert timedelta(seconds=2) <= due - now <= timedelta(hours=1)


def test_every_type_of_the_contract_is_known() -> None:
    assert len(EVENT_TYPES) == 11 and all(matches(["*"], t) for t in EVENT_TYPES)
