"""Rule 4: a card/cash/check payment pays the bill; what is beyond the balance due becomes credit."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clientledger.kit.errors import ValidationFailed
from clientledger.rules.payments import PaymentSplit, split_payment

cents = st.integers(min_value=0, max_value=10_000_000)
positive = st.integers(min_value=1, max_value=10_000_000)


def test_an_overpayment_pays_the_bill_and_the_rest_becomes_credit() -> None:
    assert split_payment(amount=20000, balance_due=15000) == PaymentSplit(applied=15000, to_credit=5000)


def test_a_payment_on_a_paid_bill_is_all_credit() -> None:
    assert split_payment(amount=3000, balance_due=0) == PaymentSplit(applied=0, to_credit=3000)


def test_a_payment_must_be_positive() -> None:
    with pytest.raises(ValidationFailed):
        split_payment(amount=0, balance_due=100)


@given(positive, cents)
def test_a_payment_splits_into_applied_and_credit(amount: int, due: int) -> None:
    split = split_payment(amount=amount, balance_due=due)
    assert split.applied + split.to_credit == amount
    assert split.applied <= due
    assert split.to_credit == max(0, amount - due)
