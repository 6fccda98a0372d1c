"""Package use cases: selling a client a package of sessions, and the sessions bills draw from it.

A package's payment is recorded like a prepayment, except that its ``price`` goes into a lot of
source ``package`` (which pays only the package's sessions) and anything paid beyond the price into
an ``overpayment`` lot. Billing draws the sessions (``session_lines``), in the bill's own entry.
"""

from __future__ import annotations

from typing import Any

from clientledger.accounting.accounts import ADJUST_DISCOUNT, AR_CLIENT, CLIENT_CREDIT, cash
from clientledger.accounting.journal import record
from clientledger.accounting.moves import move_to_credit
from clientledger.accounting.posting import Posting, cr, dr
from clientledger.accounting.projections import NewRows
from clientledger.accounting.repository import new_line_row
from clientledger.accounting.writes import Row, Writes
from clientledger.audit.service import record_event
from clientledger.cards.service import charge_request
from clientledger.clients.repository import get_client_row, lock_client
from clientledger.db import Tx
from clientledger.kit.errors import ValidationFailed
from clientledger.kit.ids import new_id
from clientledger.kit.use_cases import ChargeRequest, Permission, use_case
from clientledger.kit.vocabulary import EntryKind, LineType, LotSource
from clientledger.packages.repository import (
    INSERT_PACKAGES,
    PackageRecord,
    client_package_rows,
    get_package_row,
)
from clientledger.packages.schemas import PackageCreate, PackageList, PackageRead
from clientledger.payments.processors.base import Charge
from clientledger.payments.service import client_payment_row
from clientledger.rules.packages import SessionDraw, check_package


def _check(tx: Tx, *, client_id: str, data: PackageCreate, **_: object) -> None:
    """Before a card is charged: the client exists and the package can be sold for this payment."""
    get_client_row(tx, client_id)
    check_package(sessions=data.sessions, price=data.price, paid=data.paid)
    if not data.payment.type.via_processor and data.payment.payment_method is not None:
        raise ValidationFailed("payment_method applies to card payments only.")


def _card_charge(tx: Tx, *, client_id: str, data: PackageCreate, **_: object) -> ChargeRequest | None:
    """A package paid by card is charged before it is recorded: the card chosen, else the default."""
    if not data.payment.type.via_processor:
        return None
    return charge_request(
        tx,
        client_id=client_id,
        amount=data.paid,
        payment_method=data.payment.payment_method,
        metadata={"package": data.name[:100]},
    )


@use_case(Permission.TAKE_PAYMENT, charge=_card_charge, precheck=_check)
def sell_package(tx: Tx, *, client_id: str, data: PackageCreate, charge: Charge | None = None) -> PackageRead:
    """Sell the client ``sessions`` sessions for ``price``: the payment's price becomes the package's
    lot, what it brings beyond the price an overpayment lot (one entry, one audit event)."""
    excess = check_package(sessions=data.sessions, price=data.price, paid=data.paid)
    method = data.payment.type
    if method.via_processor and (charge is None or charge.amount != data.paid):
        raise ValueError("a card package needs a processor charge of the same amount")
    client = lock_client(tx, client_id)
    new = NewRows()
    payment = client_payment_row(
        tx, client_id=client.id, method=method, amount=data.paid, bill_id=None, charge=charge, memo=data.name
    )
    payment_id = payment["id"]
    new.payments[payment_id] = payment
    lines = [dr(cash(method), data.paid, payment_id=payment_id)]
    lot_ids = []
    for source, amount in ((LotSource.PACKAGE, data.price), (LotSource.OVERPAYMENT, excess)):
        if amount:
            lot_id, more = move_to_credit(
                tx,
                client_id=client.id,
                bill_id=None,
                line_id=None,
                payment_id=payment_id,
                amount=amount,
                source=source,
                new=new,
            )
            lines += more
            lot_ids.append(lot_id)
    package = {
        "id": new_id("pkg"),
        "practice_id": tx.practice_id,
        "client_id": client.id,
        "name": data.name,
        "sessions": data.sessions,
        "price": data.price,
        "service_code": data.service_code,
        "lot_id": lot_ids[0],
        "payment_id": payment_id,
        "sessions_used": 0,
        "sessions_remaining": data.sessions,
        "created_at": tx.now,
    }
    writes = Writes(tx)
    record(
        tx,
        kind=EntryKind.PACKAGE_SOLD,
        client_id=client.id,
        payment_id=payment_id,
        lines=lines,
        memo=data.name,
        new=new,
        writes=writes,
    )
    writes.add(INSERT_PACKAGES, [package])
    record_event(
        tx,
        action="package.sold",
        object_ids=[package["id"], payment_id, client.id, *lot_ids],
        detail={"name": data.name, "sessions": data.sessions, "price": data.price, "paid": data.paid},
        writes=writes,
    )
    writes.flush()
    return _read(
        PackageRecord(
            id=package["id"],
            client_id=client.id,
            name=data.name,
            sessions=data.sessions,
            sessions_used=0,
            sessions_remaining=data.sessions,
            price=data.price,
            service_code=data.service_code,
            lot_id=lot_ids[0],
            lot_remaining=data.price,
            payment_id=payment_id,
            created_at=tx.now,
        )
    )


@use_case(Permission.READ)
def list_packages(tx: Tx, *, client_id: str) -> PackageList:
    """The client's packages, oldest first, with the sessions used and left."""
    client = get_client_row(tx, client_id)
    return PackageList(data=[_read(p) for p in client_package_rows(tx, client.id)])


@use_case(Permission.READ)
def get_package(tx: Tx, *, package_id: str) -> PackageRead:
    return _read(get_package_row(tx, package_id))


def _read(p: PackageRecord) -> PackageRead:
    return PackageRead.model_validate(p, from_attributes=True)


def session_lines(
    tx: Tx, draw: SessionDraw, *, bill_id: str, client_id: str, new: NewRows
) -> tuple[list[Posting], Row]:
    """The lines of one session a new bill draws from a package, in the bill's entry: a client_credit
    line of the session's share from the package's lot and, when the share is below what the client
    owes for the session, a discount line for the rest. Returns the postings and the session's row
    (inserted after the bill's lines)."""
    row = new_line_row(tx, bill_id=bill_id, type=LineType.CLIENT_CREDIT, deduct=True)
    line_id = new.lines.setdefault(row["id"], row)["id"]
    new.lot_sources[draw.lot_id] = LotSource.PACKAGE.value
    new.lot_owners[draw.lot_id] = client_id
    lines = [
        dr(CLIENT_CREDIT, draw.amount, lot_id=draw.lot_id, line_id=line_id, client_id=client_id),
        cr(AR_CLIENT, draw.amount, bill_id=bill_id, line_id=line_id),
    ]
    discount_id = None
    if draw.discount:
        discount = new_line_row(tx, bill_id=bill_id, type=LineType.CLIENT_CREDIT, deduct=False)
        discount_id = new.lines.setdefault(discount["id"], discount)["id"]
        lines += [
            dr(ADJUST_DISCOUNT, draw.discount),
            cr(AR_CLIENT, draw.discount, bill_id=bill_id, line_id=discount_id),
        ]
    session: dict[str, Any] = {
        "id": new_id("pks"),
        "practice_id": tx.practice_id,
        "package_id": draw.package_id,
        "bill_id": bill_id,
        "item_id": draw.item_id,
        "line_id": line_id,
        "discount_line_id": discount_id,
        "created_at": tx.now,
    }
    return lines, session
