"""Prepaid session packages: a session's share, the package a session draws, and the sessions left."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clientledger.kit.errors import ValidationFailed
from clientledger.rules.packages import (
    MAX_SESSIONS,
    PackageState,
    SessionDraw,
    SessionOwed,
    check_package,
    draw_sessions,
    last_share,
    session_amount,
    session_share,
    sessions_left,
)


def _package(
    sessions: int = 3,
    price: int = 10000,
    *,
    package_id: str = "pkg_a",
    service_code: str | None = None,
    used: int = 0,
    remaining: int | None = None,
) -> PackageState:
    return PackageState(
        package_id=package_id,
        lot_id=f"lot_{package_id}",
        sessions=sessions,
        price=price,
        service_code=service_code,
        used=used,
        remaining=price if remaining is None else remaining,
    )


def _owed(item_id: str, owed: int = 15000, *, code: str = "90834", attended: bool = True) -> SessionOwed:
    return SessionOwed(item_id=item_id, service_code=code, attended=attended, owed=owed)


def _draw_all(package: PackageState, owed: list[int]) -> tuple[list[SessionDraw], PackageState]:
    """Each session in turn draws on ``package`` alone; the draws and the package after them."""
    draws: list[SessionDraw] = []
    for n, amount in enumerate(owed):
        [draw] = draw_sessions([package], [_owed(f"item_{n}", amount)])
        draws.append(draw)
        package = replace(package, used=package.used + 1, remaining=package.remaining - draw.amount)
    return draws, package


# --- the share ------------------------------------------------------------------------------------


def test_a_sessions_share_is_the_price_divided_by_the_sessions() -> None:
    assert session_share(price=40000, sessions=4) == 10000
    assert session_share(price=10000, sessions=3) == 3333
    assert last_share(price=40000, sessions=4) == 10000
    assert last_share(price=10000, sessions=3) == 3334


def test_three_sessions_for_10000_draw_3333_3333_then_3334() -> None:
    draws, after = _draw_all(_package(3, 10000), [15000, 15000, 15000])

    assert [d.amount for d in draws] == [3333, 3333, 3334]
    assert [d.discount for d in draws] == [11667, 11667, 11666]
    assert (after.used, after.remaining, after.left) == (3, 0, 0)


def test_the_last_session_left_takes_the_remainders_share_and_what_is_left_stays_credit() -> None:
    """After a smaller session the lot holds more than a share; the last session still draws only
    its own share (the remainder's), and the rest stays in the lot: the client's, refundable."""
    draws, after = _draw_all(_package(3, 10000), [1000, 15000, 15000])

    assert [d.amount for d in draws] == [1000, 3333, 3334]
    assert (after.left, after.remaining) == (0, 2333)


def test_a_session_never_draws_more_than_the_client_owes_for_it() -> None:
    [draw] = draw_sessions([_package(4, 40000)], [_owed("item", 6000)])

    assert (draw.amount, draw.discount) == (6000, 0)


def test_a_share_below_what_is_owed_leaves_the_rest_as_a_discount() -> None:
    [draw] = draw_sessions([_package(4, 40000)], [_owed("item", 15000)])

    assert (draw.item_id, draw.package_id, draw.lot_id) == ("item", "pkg_a", "lot_pkg_a")
    assert (draw.amount, draw.discount) == (10000, 5000)


def test_a_share_equal_to_what_is_owed_leaves_no_discount() -> None:
    [draw] = draw_sessions([_package(4, 40000)], [_owed("item", 10000)])

    assert (draw.amount, draw.discount) == (10000, 0)


def test_session_amount_of_a_package_with_nothing_left_is_refused() -> None:
    with pytest.raises(ValueError):
        session_amount(_package(2, 10000, used=2, remaining=0), 5000)


# --- which package ------------------------------------------------------------------------------


def test_a_package_without_a_service_code_covers_any_session() -> None:
    assert _package(service_code=None).covers("90834")
    assert _package(service_code=None).covers("90837")
    assert _package(service_code="90837").covers("90837")
    assert not _package(service_code="90837").covers("90834")


def test_a_session_draws_only_a_package_that_covers_its_service_code() -> None:
    intake = _package(package_id="pkg_intake", service_code="90791")
    therapy = _package(package_id="pkg_therapy", service_code="90834")

    draws = draw_sessions([intake, therapy], [_owed("a", code="90834"), _owed("b", code="90837")])

    assert [(d.item_id, d.package_id) for d in draws] == [("a", "pkg_therapy")]


def test_the_oldest_package_with_a_session_left_comes_first() -> None:
    old = _package(1, 5000, package_id="pkg_old")
    new = _package(4, 40000, package_id="pkg_new")

    draws = draw_sessions([old, new], [_owed("a"), _owed("b"), _owed("c")])

    assert [(d.item_id, d.package_id, d.amount) for d in draws] == [
        ("a", "pkg_old", 5000),
        ("b", "pkg_new", 10000),
        ("c", "pkg_new", 10000),
    ]


def test_a_used_up_package_is_passed_over() -> None:
    spent = _package(2, 10000, package_id="pkg_spent", used=2, remaining=0)
    fresh = _package(2, 10000, package_id="pkg_fresh")

    [draw] = draw_sessions([spent, fresh], [_owed("a")])

    assert draw.package_id == "pkg_fresh"


def test_sessions_not_held_or_not_owed_draw_nothing() -> None:
    draws = draw_sessions(
        [_package(4, 40000)],
        [_owed("canceled", attended=False), _owed("insured", 0), _owed("held", 15000)],
    )

    assert [d.item_id for d in draws] == ["held"]


def test_more_sessions_than_the_package_holds_draw_only_what_it_holds() -> None:
    draws = draw_sessions([_package(2, 20000)], [_owed("a"), _owed("b"), _owed("c")])

    assert [d.item_id for d in draws] == ["a", "b"]
    assert sum(d.amount for d in draws) == 20000


# --- sessions left ------------------------------------------------------------------------------


def test_sessions_left_are_the_whole_shares_in_the_lot() -> None:
    assert sessions_left(sessions=4, used=0, remaining=40000, price=40000) == 4
    assert sessions_left(sessions=4, used=0, remaining=25000, price=40000) == 2
    assert sessions_left(sessions=4, used=0, remaining=9999, price=40000) == 0


def test_sessions_left_are_never_more_than_the_unused_sessions() -> None:
    """A session drawn for less than its share leaves money in the lot, not an extra session."""
    assert sessions_left(sessions=4, used=1, remaining=39000, price=40000) == 3
    assert sessions_left(sessions=4, used=4, remaining=5000, price=40000) == 0


def test_a_partial_refund_of_the_lot_takes_the_sessions_it_can_no_longer_pay_for() -> None:
    package = _package(4, 40000)
    assert replace(package, remaining=40000 - 1).left == 3
    assert replace(package, remaining=40000 - 10000).left == 3
    assert replace(package, remaining=40000 - 10001).left == 2
    assert replace(package, remaining=0).left == 0


def test_a_refunded_lot_pays_its_last_session_its_share() -> None:
    """3 sessions for 10000, 3000 refunded: 7000 left is 2 whole shares, the second takes the
    remainder's share (3334), and 333 stays the client's credit."""
    draws, after = _draw_all(_package(3, 10000, remaining=7000), [15000, 15000])

    assert [d.amount for d in draws] == [3333, 3334]
    assert (after.left, after.remaining) == (0, 333)


def test_a_package_on_sale_is_checked() -> None:
    assert check_package(sessions=4, price=40000, paid=40000) == 0
    assert check_package(sessions=4, price=40000, paid=45000) == 5000
    assert check_package(sessions=1, price=1, paid=1) == 0
    assert check_package(sessions=MAX_SESSIONS, price=MAX_SESSIONS, paid=MAX_SESSIONS) == 0
    for sessions, price, paid in ((0, 100, 100), (MAX_SESSIONS + 1, 10**7, 10**7), (4, 3, 3), (4, 40000, 39999)):
        with pytest.raises(ValidationFailed):
            check_package(sessions=sessions, price=price, paid=paid)


def test_a_share_of_an_impossible_package_is_refused() -> None:
    for sessions, price in ((0, 100), (5, 4)):
        with pytest.raises(ValueError):
            session_share(price=price, sessions=sessions)


# --- properties -------------------------------------------------------------------------------


@st.composite
def packages(draw: st.DrawFn) -> PackageState:
    sessions = draw(st.integers(min_value=1, max_value=12))
    price = draw(st.integers(min_value=sessions, max_value=sessions * 50000))
    return _package(sessions, price)


@dataclass
class Book:
    """The package as the ledger would keep it, and where its money went."""

    package: PackageState
    live: list[int] = field(default_factory=list)  # the amounts of drawn sessions still on their bills
    drawn: int = 0  # on sessions: live lines and deleted ones (gone for good)
    refunded: int = 0


Op = tuple[str, int]
operations = st.lists(
    st.tuples(st.sampled_from(["draw", "return", "delete", "refund"]), st.integers(min_value=1, max_value=60000)),
    max_size=30,
)


def _apply(book: Book, op: Op) -> None:
    kind, n = op
    p = book.package
    if kind == "draw":
        draws = draw_sessions([p], [_owed("item", n)])
        if p.left == 0:
            assert draws == []
            return
        [d] = draws
        assert 0 < d.amount <= min(n, p.remaining)
        assert d.amount + d.discount == n
        book.package = replace(p, used=p.used + 1, remaining=p.remaining - d.amount)
        book.live.append(d.amount)
        book.drawn += d.amount
    elif kind in ("return", "delete") and book.live:
        amount = book.live.pop(n % len(book.live))
        if kind == "return":  # refunded in full: the session and its share go back to the package
            book.package = replace(p, used=p.used - 1, remaining=p.remaining + amount)
            book.drawn -= amount
        # deleted: the session stays used and its money is gone for good
    elif kind == "refund" and p.remaining:
        take = 1 + (n - 1) % p.remaining
        book.package = replace(p, remaining=p.remaining - take)
        book.refunded += take


@given(packages(), operations)
def test_sessions_left_follow_every_draw_return_delete_and_refund(package: PackageState, ops: list[Op]) -> None:
    book = Book(package)
    share = session_share(price=package.price, sessions=package.sessions)
    for op in ops:
        _apply(book, op)
        p = book.package
        assert 0 <= p.used <= p.sessions
        assert p.remaining >= 0
        assert 0 <= p.left <= p.sessions - p.used
        assert p.left == min(p.sessions - p.used, p.remaining // share)
        # a package's money is spent on its sessions or refunded, never lost or made up
        assert book.drawn + book.refunded + p.remaining == package.price


@given(packages(), st.data())
def test_drawing_every_session_spends_exactly_the_price(package: PackageState, data: st.DataObject) -> None:
    top = last_share(price=package.price, sessions=package.sessions)
    owed = data.draw(st.lists(st.integers(min_value=top, max_value=top + 50000), min_size=package.sessions))
    draws = draw_sessions([package], [_owed(f"item_{n}", o) for n, o in enumerate(owed)])

    assert len(draws) == package.sessions
    assert sum(d.amount for d in draws) == package.price
    share = session_share(price=package.price, sessions=package.sessions)
    assert [d.amount for d in draws] == [share] * (package.sessions - 1) + [top]


@given(
    st.lists(st.tuples(packages(), st.sampled_from([None, "90834", "90837"])), min_size=1, max_size=4),
    st.lists(
        st.tuples(st.sampled_from(["90834", "90837"]), st.integers(min_value=0, max_value=30000), st.booleans()),
        max_size=12,
    ),
)
def test_each_session_draws_the_oldest_package_that_covers_it(
    made: list[tuple[PackageState, str | None]], wanted: list[tuple[str, int, bool]]
) -> None:
    state = [replace(p, package_id=f"pkg_{n}", lot_id=f"lot_{n}", service_code=c) for n, (p, c) in enumerate(made)]
    sessions = [_owed(f"item_{n}", o, code=c, attended=a) for n, (c, o, a) in enumerate(wanted)]

    draws = iter(draw_sessions(state, sessions))
    for session in sessions:
        at = next((i for i, p in enumerate(state) if p.left > 0 and p.covers(session.service_code)), None)
        if not session.attended or session.owed <= 0 or at is None:
            continue
        d = next(draws)
        assert (d.item_id, d.package_id, d.lot_id) == (session.item_id, state[at].package_id, state[at].lot_id)
        assert d.amount == session_amount(state[at], session.owed)
        assert d.amount + d.discount == session.owed
        state[at] = replace(state[at], used=state[at].used + 1, remaining=state[at].remaining - d.amount)
    assert next(draws, None) is None
