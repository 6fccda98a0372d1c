"""Property tests of the pure money rules."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clientledger.kit.errors import ExceedsBalanceDue, ExceedsRefundable, InsufficientCredit
from clientledger.rules.credit import LotBalance, check_credit_payment, credit_to_apply, draw_fifo
from clientledger.rules.freeing import PaidLine, plan_release
from clientledger.rules.payments import split_payment
from clientledger.rules.refunds import plan_refund

cents = st.integers(min_value=0, max_value=10_000_000)
positive = st.integers(min_value=1, max_value=10_000_000)
lots = st.lists(st.builds(LotBalance, st.uuids().map(str), positive), max_size=8)


@given(lots, cents)
def test_fifo_draws_exactly_the_amount_oldest_lot_first(balances: list[LotBalance], amount: int) -> None:
    total = sum(lot.remaining for lot in balances)
    if amount > total:
        with pytest.raises(InsufficientCredit):
            draw_fifo(balances, amount)
        return
    draws = draw_fifo(balances, amount)
    assert sum(d.amount for d in draws) == amount
    by_lot = {lot.lot_id: lot.remaining for lot in balances}
    assert all(0 < d.amount <= by_lot[d.lot_id] for d in draws)
    # every lot but the last one drawn is emptied: nothing newer is touched while older credit remains
    for d in draws[:-1]:
        assert d.amount == by_lot[d.lot_id]


@given(cents, cents)
def test_credit_applied_to_a_bill_never_exceeds_either_side(balance: int, due: int) -> None:
    applied = credit_to_apply(credit_balance=balance, balance_due=due)
    assert applied == min(balance, due)


@given(positive, cents)
def test_a_payment_splits_into_applied_and_credit(amount: int, due: int) -> None:
    split = split_payment(amount=amount, balance_due=due)
    assert split.applied + split.to_credit == amount
    assert split.applied <= due
    assert split.to_credit == max(0, amount - due)


@given(positive, cents, cents, st.booleans())
def test_credit_payment_checks_balance_due_first(amount: int, due: int, balance: int, deduct: bool) -> None:
    try:
        check_credit_payment(amount=amount, balance_due=due, credit_balance=balance, deduct=deduct)
    except ExceedsBalanceDue:
        assert amount > due
    except InsufficientCredit:
        assert amount <= due and deduct and amount > balance
    else:
        assert amount <= due and (not deduct or amount <= balance)


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


paid_lines = st.lists(
    st.builds(
        PaidLine,
        line_id=st.uuids().map(str),
        type=st.sampled_from(["client_credit", "card", "cash", "check"]),
        amount=positive,
        deduct_from_credit_balance=st.booleans(),
        payment_id=st.uuids().map(str),
        order=st.uuids().map(str),
    ),
    max_size=6,
)


@given(paid_lines, st.data())
def test_release_frees_exactly_the_excess_credit_lines_first(lines: list[PaidLine], data: st.DataObject) -> None:
    total = sum(ln.amount for ln in lines)
    excess = data.draw(st.integers(min_value=0, max_value=total))
    releases = plan_release(lines, excess)
    assert sum(r.amount for r in releases) == excess
    kinds = [r.type == "client_credit" for r in releases]
    assert kinds == sorted(kinds, reverse=True)  # every credit line comes before any money line
    by_id = {ln.line_id: ln.amount for ln in lines}
    assert all(0 < r.amount <= by_id[r.line_id] for r in releases)
