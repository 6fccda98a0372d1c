"""Aging buckets by whole days, and a bill's payments spread over its sessions."""

from __future__ import annotations

import pytest

from clientledger.rules.aging import aging_bucket
from clientledger.rules.bills import spread_payments


@pytest.mark.parametrize(
    ("age", "bucket"),
    [
        (0, "days_0_30"),
        (30, "days_0_30"),
        (31, "days_31_60"),
        (60, "days_31_60"),
        (61, "days_61_90"),
        (90, "days_61_90"),
        (91, "over_90"),
        (4000, "over_90"),
    ],
)
def test_a_bill_ages_into_its_bucket_by_whole_days(age: int, bucket: str) -> None:
    assert aging_bucket(age) == bucket


def test_payments_fill_each_session_in_order_until_they_run_out() -> None:
    assert spread_payments(25000, [15000, 15000, 15000]) == [15000, 10000, 0]
    assert spread_payments(0, [15000, 3000]) == [0, 0]
    assert spread_payments(50000, [15000, 0, 3000]) == [15000, 0, 3000]
    assert spread_payments(1000, []) == []
