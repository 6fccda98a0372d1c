"""Rules 1-3 and 8: how much credit applies, which lots it comes from, and what a lot can lose."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clientledger.kit.errors import ExceedsBalanceDue, InsufficientCredit, ValidationFailed
from clientledger.rules.credit import (
    Draw,
    LotBalance,
    check_credit_payment,
    check_removal,
    credit_for_rise,
    credit_to_apply,
    draw_fifo,
)

cents = st.integers(min_value=0, max_value=10_000_000)
positive = st.integers(min_value=1, max_value=10_000_000)
lots = st.lists(st.builds(LotBalance, st.uuids().map(str), positive), max_size=8)


def test_credit_is_drawn_from_the_oldest_lot_first() -> None:
    draws = draw_fifo([LotBalance("old", 3000), LotBalance("mid", 5000), LotBalance("new", 2000)], 6000)
    assert draws == [Draw("old", 3000), Draw("mid", 3000)]


def test_drawing_more_than_the_lots_hold_is_insufficient_credit() -> None:
    with pytest.raises(InsufficientCredit, match="3000 cents of credit"):
        draw_fifo([LotBalance("a", 1000), LotBalance("b", 2000)], 3001)


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
    assert [d.lot_id for d in draws] == [lot.lot_id for lot in balances[: len(draws)]]


def test_a_new_bill_takes_the_smaller_of_credit_and_balance_due() -> None:
    assert credit_to_apply(credit_balance=5000, balance_due=15000) == 5000
    assert credit_to_apply(credit_balance=50000, balance_due=15000) == 15000


def test_a_rise_applies_at_most_the_rise() -> None:
    assert credit_to_apply(credit_balance=5000, balance_due=4000, rise=1000) == 1000


@given(cents, cents, st.one_of(st.none(), cents))
def test_credit_applied_to_a_bill_never_exceeds_any_side(balance: int, due: int, rise: int | None) -> None:
    applied = credit_to_apply(credit_balance=balance, balance_due=due, rise=rise)
    assert applied == min(balance, due, due if rise is None else rise)


def test_a_credit_payment_beyond_the_balance_due_is_refused_before_the_credit_is_looked_at() -> None:
    with pytest.raises(ExceedsBalanceDue):
        check_credit_payment(amount=2000, balance_due=1000, credit_balance=0, deduct=True)


def test_a_discount_needs_no_credit() -> None:
    check_credit_payment(amount=1000, balance_due=1000, credit_balance=0, deduct=False)


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


def test_a_lot_loses_at_most_what_remains() -> None:
    check_removal(amount=500, remaining=500)
    with pytest.raises(InsufficientCredit):
        check_removal(amount=501, remaining=500)
    with pytest.raises(ValidationFailed):
        check_removal(amount=0, remaining=500)


def test_a_rise_on_a_bill_created_with_credit_applied_takes_what_credit_there_is() -> None:
    assert credit_for_rise(auto_apply=True, rise=4000, credit_balance=10000, balance_due=4000) == 4000
    assert credit_for_rise(auto_apply=True, rise=15000, credit_balance=8000, balance_due=15000) == 8000


def test_no_credit_meets_a_rise_on_a_bill_created_without_it_or_a_fall() -> None:
    assert credit_for_rise(auto_apply=False, rise=4000, credit_balance=10000, balance_due=4000) == 0
    assert credit_for_rise(auto_apply=True, rise=-4000, credit_balance=10000, balance_due=0) == 0


@given(st.booleans(), st.integers(-(10**6), 10**6), st.integers(0, 10**6), st.integers(0, 10**6))
def test_a_rise_takes_at_most_the_credit_the_rise_and_the_balance_due(
    auto_apply: bool, rise: int, credit: int, due: int
) -> None:
    amount = credit_for_rise(auto_apply=auto_apply, rise=rise, credit_balance=credit, balance_due=due)
    if not auto_apply or rise <= 0:
        assert amount == 0
    else:
        assert amount == min(credit, rise, due)
