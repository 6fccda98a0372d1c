"""Rules 7 and 8: a refund of a payment takes its own credit first, then its bill; a line refund."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clientledger.kit.errors import ExceedsRefundable, ValidationFailed
from clientledger.rules.credit import Draw, LotBalance
from clientledger.rules.refunds import plan_line_refund, plan_refund, refundable

cents = st.integers(min_value=0, max_value=10_000_000)
positive = st.integers(min_value=1, max_value=10_000_000)
lots = st.lists(st.builds(LotBalance, st.uuids().map(str), positive), max_size=8)


def test_a_refund_takes_the_payments_remaining_credit_before_its_bill() -> None:
    own = [LotBalance("a", 3000), LotBalance("b", 2000)]
    plan = plan_refund(amount=7000, captured=20000, refunded=0, own_credit=own, on_bill=15000)
    assert plan.from_lots == [Draw("a", 3000), Draw("b", 2000)]
    assert (plan.from_credit, plan.from_bill) == (5000, 2000)


def test_the_default_refund_is_everything_refundable() -> None:
    plan = plan_refund(amount=None, captured=20000, refunded=5000, own_credit=[], on_bill=15000)
    assert (plan.amount, plan.from_bill) == (15000, 15000)


def test_credit_spent_elsewhere_is_not_refundable_from_the_payment() -> None:
    assert refundable(captured=20000, refunded=0, own_credit=[LotBalance("a", 1000)], on_bill=15000) == 16000
    with pytest.raises(ExceedsRefundable, match="At most 16000"):
        plan_refund(amount=16001, captured=20000, refunded=0, own_credit=[LotBalance("a", 1000)], on_bill=15000)


def test_nothing_left_to_refund_is_refused() -> None:
    with pytest.raises(ExceedsRefundable):
        plan_refund(amount=None, captured=1000, refunded=1000, own_credit=[], on_bill=0)


@given(positive, cents, lots, cents, st.one_of(st.none(), positive))
def test_refund_takes_credit_first_and_never_more_than_refundable(
    captured: int, refunded: int, own: list[LotBalance], on_bill: int, amount: int | None
) -> None:
    refunded = min(refunded, captured)
    limit = max(0, min(captured - refunded, sum(lot.remaining for lot in own) + on_bill))
    try:
        plan = plan_refund(amount=amount, captured=captured, refunded=refunded, own_credit=own, on_bill=on_bill)
    except ExceedsRefundable:
        assert (amount or limit) > limit or limit == 0
        return
    assert plan.from_credit + plan.from_bill == plan.amount <= limit
    assert plan.from_bill == max(0, plan.amount - sum(lot.remaining for lot in own))
    assert plan.from_bill <= on_bill


def test_a_line_refund_gives_back_at_most_what_the_line_pays() -> None:
    assert plan_line_refund(amount=None, line_amount=4000) == 4000
    assert plan_line_refund(amount=1000, line_amount=4000) == 1000
    with pytest.raises(ExceedsRefundable):
        plan_line_refund(amount=4001, line_amount=4000)
    with pytest.raises(ExceedsRefundable):
        plan_line_refund(amount=None, line_amount=0)
    with pytest.raises(ValidationFailed):
        plan_line_refund(amount=0, line_amount=4000)
