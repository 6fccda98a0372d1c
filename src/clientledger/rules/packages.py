"""Prepaid session packages: what a package costs a session, which package a session draws, and how
many whole sessions a package's lot still holds.

A package sells ``sessions`` sessions for ``price``; its payment's ``price`` is one credit lot (source
``package``) that pays only the package's own sessions. Each session's share is ``price // sessions``;
the last one takes the remainder (``price - share * (sessions - 1)``): the last session left draws
that share. A session never draws more than the client owes for it (what a smaller draw leaves in
the lot stays the client's, refundable like any credit); when its share is below what the client
owes, the rest is a discount on the session (the package's price, not the fee, is what it costs).
``sessions_left`` is the number of whole shares left in the lot, and never more than the sessions
not yet used: a session refunded back to the package returns with its share, a session
whose line was deleted is gone for good with its money, and money refunded from the lot takes the
sessions it can no longer pay for.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from clientledger.kit.errors import ValidationFailed

MAX_SESSIONS = 1000


def session_share(*, price: int, sessions: int) -> int:
    """A session's share of the price (``price // sessions``); the last session takes the remainder."""
    if sessions < 1 or price < sessions:
        raise ValueError("a package has at least one session and at least a cent for each")
    return price // sessions


def last_share(*, price: int, sessions: int) -> int:
    """The last session's share: the remainder of the price after the others."""
    return price - session_share(price=price, sessions=sessions) * (sessions - 1)


def sessions_left(*, sessions: int, used: int, remaining: int, price: int) -> int:
    """Whole sessions the lot still pays for: whole shares in ``remaining``, at most the unused sessions."""
    share = session_share(price=price, sessions=sessions)
    return max(0, min(sessions - used, remaining // share))


def check_package(*, sessions: int, price: int, paid: int) -> int:
    """A package on sale: at least one session (at most ``MAX_SESSIONS``), at least a cent a session,
    and a payment that covers the price. Returns what the payment brings beyond the price (an
    ``overpayment`` lot)."""
    if sessions < 1 or sessions > MAX_SESSIONS:
        raise ValidationFailed(f"sessions must be between 1 and {MAX_SESSIONS}.")
    if price < sessions:
        raise ValidationFailed("price must be at least one cent for each session.")
    if paid < price:
        raise ValidationFailed("The payment ({paid}) must cover the package's price ({price}).", paid=paid, price=price)
    return paid - price


@dataclass(frozen=True)
class PackageState:
    """A package as a bill finds it: its lot's ``remaining`` and the sessions already ``used``."""

    package_id: str
    lot_id: str
    sessions: int
    price: int
    service_code: str | None
    used: int
    remaining: int

    @property
    def left(self) -> int:
        return sessions_left(sessions=self.sessions, used=self.used, remaining=self.remaining, price=self.price)

    def covers(self, service_code: str) -> bool:
        """Whether a session of ``service_code`` may draw on this package (any code when it names none)."""
        return self.service_code is None or self.service_code == service_code


@dataclass(frozen=True)
class SessionOwed:
    """A session on a new bill: whether it was attended, its service code and what the client owes."""

    item_id: str
    service_code: str
    attended: bool
    owed: int


@dataclass(frozen=True)
class SessionDraw:
    """One session a bill draws from a package: ``amount`` from its lot, ``discount`` for the rest."""

    item_id: str
    package_id: str
    lot_id: str
    amount: int
    discount: int


def session_amount(package: PackageState, owed: int) -> int:
    """What one session takes from the package's lot: its share, the remainder's share for the last
    session left, never more than the lot holds or the client owes for the session."""
    left = package.left
    if left <= 0:
        raise ValueError("the package has no session left")
    if left == 1:
        share = last_share(price=package.price, sessions=package.sessions)
    else:
        share = session_share(price=package.price, sessions=package.sessions)
    return min(share, package.remaining, owed)


def draw_sessions(packages: Sequence[PackageState], sessions: Sequence[SessionOwed]) -> list[SessionDraw]:
    """Each attended session the client owes for, in order, draws one session from the oldest
    package (``packages`` oldest first) that covers its service code and has a session left."""
    state = list(packages)
    draws: list[SessionDraw] = []
    for owed in sessions:
        if not owed.attended or owed.owed <= 0:
            continue
        at = next((i for i, p in enumerate(state) if p.left > 0 and p.covers(owed.service_code)), None)
        if at is None:
            continue
        package = state[at]
        amount = session_amount(package, owed.owed)
        draws.append(SessionDraw(owed.item_id, package.package_id, package.lot_id, amount, owed.owed - amount))
        state[at] = replace(package, used=package.used + 1, remaining=package.remaining - amount)
    return draws
