"""What a use case declares about itself: the permission it needs, and what runs around it.

Feature services mark each use case with ``@use_case(Permission.X, ...)``; the runner in
``service_layer`` reads the mark, so a face cannot call a use case without its permission being
checked. The mark changes nothing about the function itself: services still call each other
directly inside one transaction.

One table, ``ROLE_PERMISSIONS``, says which role may do what, on every face.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, TypeVar

from clientledger.kit.processing import PaymentProcessor
from clientledger.kit.vocabulary import Role

F = TypeVar("F", bound=Callable[..., Any])


class Permission(StrEnum):
    READ = "read"
    """See clients, bills, credit, reports and the audit trail."""
    MANAGE_CLIENTS = "manage_clients"
    """Add clients and schedule their sessions."""
    BILL = "bill"
    """Create bills, change a session's status (which re-bills it), post insurance decisions."""
    TAKE_PAYMENT = "take_payment"
    """Record payments and prepayments, apply credit to a bill."""
    REFUND = "refund"
    """Refund a payment or a payment line, remove a payment line."""
    MANAGE_CREDIT = "manage_credit"
    """Add credit by hand, remove credit for good."""
    CHANGE_SETTINGS = "change_settings"
    """Change the practice's settings."""
    MANAGE_STAFF = "manage_staff"
    """Add staff members and choose their roles."""
    MANAGE_WEBHOOKS = "manage_webhooks"
    """Add, list and delete webhook endpoints, and read their delivery logs."""

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS = {
    Permission.READ: "see the practice's records",
    Permission.MANAGE_CLIENTS: "add clients or schedule sessions",
    Permission.BILL: "create bills or change sessions",
    Permission.TAKE_PAYMENT: "record payments or apply credit",
    Permission.REFUND: "refund or remove payments",
    Permission.MANAGE_CREDIT: "add or remove credit",
    Permission.CHANGE_SETTINGS: "change the practice's settings",
    Permission.MANAGE_STAFF: "add staff members",
    Permission.MANAGE_WEBHOOKS: "manage webhook endpoints",
}

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.OWNER: frozenset(Permission),
    Role.BILLER: frozenset(Permission) - {Permission.MANAGE_STAFF, Permission.MANAGE_WEBHOOKS},
    Role.CLINICIAN: frozenset({Permission.READ}),
}
"""Clinicians read; billers do everything but staffing and webhooks; owners do everything."""


def may(role: str, permission: Permission) -> bool:
    """Whether ``role`` may do what ``permission`` guards (an unknown role may do nothing)."""
    try:
        return permission in ROLE_PERMISSIONS[Role(role)]
    except ValueError:
        return False


@dataclass(frozen=True)
class ChargeRequest:
    """A card charge the runner makes before the use case's transaction opens.

    ``customer`` is the client's processor customer when ``payment_method`` is one of its saved
    cards (charged off-session), else None (a one-off payment method, or a simulator test card).
    """

    amount: int
    payment_method: str
    customer: str | None = None
    description: str = ""
    metadata: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Preparation:
    """What a use case's ``prepare`` step gets: the processor, what the precheck found, and a key.

    ``key`` is unique to this request and the same for its retries (it derives from the replay key,
    when there is one), so an idempotency key built from it lets the processor replay, not repeat.
    """

    processor: PaymentProcessor
    checked: Any
    key: str


@dataclass(frozen=True)
class UseCaseSpec:
    """What the runner needs to know to run a use case. In order, before its one transaction:

    - ``precheck``: a read-only check run before any processor call, with the use case's
      arguments; what it returns is handed on (``Preparation.checked``). An unknown or void bill
      must not cost a charge and its reversal.
    - ``charge``: in that same read-only transaction, given the arguments, the card charge to make
      (or None); the runner charges it outside any transaction, keyed by the replay key, and the
      use case receives it as ``charge=``. If the use case then fails, the runner voids the charge.
    - ``prepare``: other processor work done outside any transaction (save a card, make a
      customer), given a ``Preparation`` and the arguments; the use case receives its result as
      ``prepared=`` and records it.
    - ``present``: after the commit and the after-commit work (a processor call), the answer as it
      now stands, given the use case's result; what the caller and every replay see.
    - ``batched``: the use case commits in several transactions itself and receives a
      ``UnitOfWork`` instead of one transaction (an 835 import, claim group by claim group).
    - ``replays_as``: the type a stored answer is read back as, when it is not the result's own
      (an import's report is stored as written and read back as its model).
    """

    name: str
    permission: Permission
    charge: Callable[..., ChargeRequest | None] | None = None
    precheck: Callable[..., object] | None = None
    prepare: Callable[..., object] | None = None
    present: Callable[..., Any] | None = None
    batched: bool = False
    replays_as: type | None = None


_ATTR = "__use_case__"


def use_case(
    permission: Permission,
    *,
    charge: Callable[..., ChargeRequest | None] | None = None,
    precheck: Callable[..., object] | None = None,
    prepare: Callable[..., object] | None = None,
    present: Callable[..., Any] | None = None,
    batched: bool = False,
    replays_as: type | None = None,
) -> Callable[[F], F]:
    """Mark a service function as a use case needing ``permission``."""

    def mark(fn: F) -> F:
        spec = UseCaseSpec(
            name=fn.__name__,
            permission=permission,
            charge=charge,
            precheck=precheck,
            prepare=prepare,
            present=present,
            batched=batched,
            replays_as=replays_as,
        )
        setattr(fn, _ATTR, spec)
        return fn

    return mark


def spec_of(fn: Callable[..., Any]) -> UseCaseSpec:
    """The use case's declaration; a function without one cannot be run by the runner."""
    spec = getattr(fn, _ATTR, None)
    if not isinstance(spec, UseCaseSpec):
        raise TypeError(f"{getattr(fn, '__qualname__', fn)!r} is not marked with @use_case")
    return spec
