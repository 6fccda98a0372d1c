"""Who owes a session's fee: client and payer shares, cancellation fees, claims."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clientledger.kit.vocabulary import AppointmentStatus, Billing
from clientledger.rules.responsibility import Shares, billed_fee, is_claim, item_responsibility

FEE_ONLY = [s.value for s in AppointmentStatus if s.bills_fee_only]
HELD = ["scheduled", "attended"]


def test_an_insurance_session_splits_copay_and_payer_share() -> None:
    assert item_responsibility(billing="insurance", copay=3000, fee=10000, status="attended") == Shares(3000, 7000)


def test_a_copay_above_the_fee_is_capped_at_the_fee() -> None:
    assert item_responsibility(billing="insurance", copay=3000, fee=2000, status="attended") == Shares(2000, 0)


def test_no_copay_leaves_it_all_to_the_payer() -> None:
    assert item_responsibility(billing="insurance", copay=None, fee=10000, status="scheduled") == Shares(0, 10000)


def test_a_self_pay_session_is_the_clients() -> None:
    assert item_responsibility(billing="self_pay", copay=3000, fee=15000, status="attended") == Shares(15000, 0)


@pytest.mark.parametrize("status", FEE_ONLY)
def test_a_cancellation_fee_is_the_clients_alone_even_when_insured(status: str) -> None:
    assert item_responsibility(billing="insurance", copay=1000, fee=5000, status=status) == Shares(5000, 0)
    assert not is_claim(billing="insurance", status=status)


def test_only_an_insured_session_that_is_held_is_a_claim() -> None:
    assert is_claim(billing="insurance", status="attended")
    assert is_claim(billing="insurance", status="scheduled")
    assert not is_claim(billing="self_pay", status="attended")


@pytest.mark.parametrize("status", FEE_ONLY)
def test_a_canceled_session_bills_the_fee_given_with_its_status(status: str) -> None:
    assert billed_fee(status=status, fee=15000, status_fee=2500) == 2500
    assert billed_fee(status=status, fee=15000, status_fee=None) == 0


@pytest.mark.parametrize("status", HELD)
def test_a_held_session_bills_its_fee(status: str) -> None:
    assert billed_fee(status=status, fee=15000, status_fee=None) == 15000


def test_an_unknown_status_or_billing_is_a_bug_not_a_guess() -> None:
    with pytest.raises(ValueError):
        item_responsibility(billing="insurance", copay=0, fee=100, status="maybe")
    with pytest.raises(ValueError):
        item_responsibility(billing="medicare", copay=0, fee=100, status="attended")


@given(
    st.sampled_from([b.value for b in Billing]),
    st.one_of(st.none(), st.integers(min_value=0, max_value=10**7)),
    st.integers(min_value=0, max_value=10**7),
    st.sampled_from([s.value for s in AppointmentStatus]),
)
def test_shares_sum_to_the_fee_and_are_never_negative(billing: str, copay: int | None, fee: int, status: str) -> None:
    shares = item_responsibility(billing=billing, copay=copay, fee=fee, status=status)
    assert shares.client + shares.insurance == fee
    assert shares.client >= 0 and shares.insurance >= 0
    assert shares.client <= max(copay or 0, 0) or not is_claim(billing=billing, status=status)
    if shares.insurance:
        assert is_claim(billing=billing, status=status)
