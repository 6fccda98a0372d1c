"""A bill's status (void / paid / open) and whether it can still take a payment."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clientledger.kit.errors import BillVoid
from clientledger.kit.vocabulary import BillStatus
from clientledger.rules.bills import bill_status, check_payable, nothing_billed


def test_a_bill_with_something_due_is_open() -> None:
    assert bill_status(fees=[15000], balance_due=15000) is BillStatus.OPEN


def test_a_bill_with_nothing_due_is_paid() -> None:
    assert bill_status(fees=[15000, 0], balance_due=0) is BillStatus.PAID


def test_every_session_canceled_at_no_fee_makes_the_bill_void_whatever_is_due() -> None:
    assert bill_status(fees=[0, 0], balance_due=0) is BillStatus.VOID
    # even if the client part were still off (void wins over every other status rule)
    assert bill_status(fees=[0], balance_due=500) is BillStatus.VOID


def test_a_cancellation_fee_keeps_the_bill_alive() -> None:
    assert bill_status(fees=[0, 2500], balance_due=2500) is BillStatus.OPEN


@given(st.lists(st.integers(min_value=0, max_value=10**6), min_size=1, max_size=6), st.integers(0, 10**6))
def test_status_is_void_iff_nothing_is_billed_else_paid_iff_nothing_due(fees: list[int], due: int) -> None:
    status = bill_status(fees=fees, balance_due=due)
    assert (status is BillStatus.VOID) == (sum(fees) == 0) == nothing_billed(fees)
    if status is not BillStatus.VOID:
        assert (status is BillStatus.PAID) == (due == 0)


@pytest.mark.parametrize("status", ["open", "paid"])
def test_open_and_paid_bills_take_payments(status: str) -> None:
    check_payable(status)


def test_a_void_bill_takes_no_payment() -> None:
    with pytest.raises(BillVoid) as refused:
        check_payable("void")
    assert (refused.value.code, refused.value.status_code) == ("bill_void", 409)
