"""Credit going back to lots returns to the lots it came from, the most recently drawn first."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clientledger.rules.credit import Draw, plan_return

positive = st.integers(min_value=1, max_value=10_000_000)
held = st.lists(positive, max_size=8).map(lambda amounts: [Draw(f"lot{i:02}", a) for i, a in enumerate(amounts)])


def test_a_partly_refunded_credit_line_gives_the_newest_lot_back_first() -> None:
    draws = [Draw("lot01", 3000), Draw("lot02", 2000)]

    assert plan_return(draws, 2500) == [Draw("lot02", 2000), Draw("lot01", 500)]


def test_a_fully_returned_line_gives_each_lot_exactly_what_it_drew() -> None:
    draws = [Draw("lot01", 3000), Draw("lot02", 2000)]

    assert sorted(plan_return(draws, 5000), key=lambda d: d.lot_id) == draws


def test_nothing_to_return_touches_no_lot() -> None:
    assert plan_return([Draw("lot01", 3000)], 0) == []


def test_returning_more_than_the_line_holds_is_refused() -> None:
    with pytest.raises(ValueError):
        plan_return([Draw("lot01", 3000)], 3001)


@given(held, st.data())
def test_returns_exactly_the_amount_and_never_skips_a_newer_lot(draws: list[Draw], data: st.DataObject) -> None:
    amount = data.draw(st.integers(min_value=0, max_value=sum(d.amount for d in draws)))

    returns = plan_return(draws, amount)

    assert sum(r.amount for r in returns) == amount
    by_lot = {d.lot_id: d.amount for d in draws}
    assert all(0 < r.amount <= by_lot[r.lot_id] for r in returns)
    assert [r.lot_id for r in returns] == sorted((r.lot_id for r in returns), reverse=True)
    # every lot but the last one touched gets all it drew back: newer lots are emptied first
    assert all(r.amount == by_lot[r.lot_id] for r in returns[:-1])
    if returns:
        newer = [d.lot_id for d in draws if d.lot_id > returns[-1].lot_id]
        assert newer == sorted(r.lot_id for r in returns[:-1])
