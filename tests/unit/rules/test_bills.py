"""A bill's status (void / paid / open), what payers still owe, and whether a bill can still take a payment."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clientledger.kit.errors import BillVoid
from clientledger.kit.vocabulary import BillStatus
from clientledger.rules.bills import bill_status, check_payable, item_insurance_due, nothing_billed
from clientledger.rules.insurance import Adjustment, decide


def status(fees: list[int], *, due: int, owed: int, insurance_due: int = 0) -> BillStatus:
    return bill_status(fees=fees, balance_due=due, client_responsibility=owed, insurance_due=insurance_due)


def test_a_bill_with_something_due_from_the_client_is_open() -> None:
    assert status([15000], due=15000, owed=15000) is BillStatus.OPEN


def test_a_self_pay_bill_with_nothing_due_is_paid() -> None:
    assert status([15000, 0], due=0, owed=15000) is BillStatus.PAID


def test_a_copay_zero_bill_is_open_until_the_payer_settles() -> None:
    assert status([10000], due=0, owed=0, insurance_due=10000) is BillStatus.OPEN
    assert status([10000], due=0, owed=0, insurance_due=0) is BillStatus.PAID


def test_a_paid_copay_makes_the_bill_paid_while_the_payer_still_owes() -> None:
    assert status([10000], due=0, owed=2000, insurance_due=8000) is BillStatus.PAID


def test_a_denied_claim_leaves_the_bill_open_until_the_client_pays() -> None:
    assert status([10000], due=10000, owed=10000, insurance_due=0) is BillStatus.OPEN


def test_every_session_canceled_at_no_fee_makes_the_bill_void_whatever_is_due() -> None:
    assert status([0, 0], due=0, owed=0) is BillStatus.VOID
    # even if the client part were still off (void wins over every other status rule)
    assert status([0], due=500, owed=500, insurance_due=300) is BillStatus.VOID


def test_a_cancellation_fee_keeps_the_bill_alive() -> None:
    assert status([0, 2500], due=2500, owed=2500) is BillStatus.OPEN


amounts = st.integers(min_value=0, max_value=10**6)


@given(st.lists(amounts, min_size=1, max_size=6), amounts, amounts, amounts)
def test_an_open_bill_with_nothing_due_from_the_client_always_waits_on_a_payer(
    fees: list[int], due: int, owed: int, insurance_due: int
) -> None:
    result = status(fees, due=due, owed=owed, insurance_due=insurance_due)
    assert (result is BillStatus.VOID) == (sum(fees) == 0) == nothing_billed(fees)
    if result is BillStatus.VOID:
        return
    if due > 0:
        assert result is BillStatus.OPEN
    if result is BillStatus.OPEN and due == 0:
        assert insurance_due > 0 and owed == 0
    if due == 0 and insurance_due == 0:
        assert result is BillStatus.PAID


def test_an_unsettled_claim_is_owed_in_full() -> None:
    assert item_insurance_due(insurance_responsibility=8000, insurance_paid=0, written_off=0) == 8000


@given(fee=st.integers(1, 10**6), data=st.data())
def test_any_decision_in_force_leaves_the_payer_owing_nothing(fee: int, data: st.DataObject) -> None:
    """Paid, written down (CO, OA) or denied: the decision balances, so nothing stays due from the payer."""
    patient = data.draw(st.integers(0, fee), label="patient_responsibility")
    contractual = data.draw(st.integers(0, fee - patient), label="contractual")
    other = data.draw(st.integers(0, fee - patient - contractual), label="other")
    paid = fee - patient - contractual - other
    adjustments = [Adjustment("CO", "45", contractual), Adjustment("OA", "23", other)]
    decision = decide(fee=fee, paid=paid, patient_responsibility=patient, adjustments=adjustments)
    owed = item_insurance_due(
        insurance_responsibility=fee - decision.patient_responsibility,
        insurance_paid=decision.paid,
        written_off=decision.contractual + decision.other_adjusted,
    )
    assert owed == 0


@pytest.mark.parametrize("bill_state", ["open", "paid"])
def test_open_and_paid_bills_take_payments(bill_state: str) -> None:
    check_payable(bill_state)


def test_a_void_bill_takes_no_payment() -> None:
    with pytest.raises(BillVoid) as refused:
        check_payable("void")
    assert (refused.value.code, refused.value.status_code) == ("bill_void", 409)
