"""Rules 5 and 6: what a client paid beyond what they owe leaves the bill, credit lines first."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clientledger.rules.freeing import PaidLine, Release, excess_paid, plan_release

positive = st.integers(min_value=1, max_value=10_000_000)


def line(line_id: str, type: str, amount: int, order: str) -> PaidLine:
    deduct = True if type == "client_credit" else None
    payment = None if type == "client_credit" else f"pay-{line_id}"
    return PaidLine(line_id, type, amount, deduct, payment, order)


def test_excess_is_what_was_paid_beyond_the_responsibility() -> None:
    assert excess_paid(client_paid=5000, client_responsibility=3000) == 2000
    assert excess_paid(client_paid=1000, client_responsibility=3000) == 0


def test_credit_lines_go_first_then_money_newest_first() -> None:
    lines = [
        line("card1", "card", 3000, "1"),
        line("credit1", "client_credit", 1000, "2"),
        line("cash1", "cash", 2000, "3"),
        line("credit2", "client_credit", 500, "4"),
    ]
    assert [(r.line_id, r.amount) for r in plan_release(lines, 3000)] == [
        ("credit2", 500),
        ("credit1", 1000),
        ("cash1", 1500),
    ]


def test_a_release_keeps_the_lines_payment_and_discount_flag() -> None:
    discount = PaidLine("d", "client_credit", 700, False, None, "1")
    assert plan_release([discount], 700) == [Release("d", "client_credit", 700, None, False)]


def test_freeing_more_than_the_lines_pay_is_a_bug() -> None:
    with pytest.raises(ValueError):
        plan_release([line("a", "card", 100, "1")], 101)


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
    # only the last line released may keep some of what it pays
    assert all(r.amount == by_id[r.line_id] for r in releases[:-1])
