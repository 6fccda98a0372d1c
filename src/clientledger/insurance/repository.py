"""Insurance queries: items by claim_ref, the payer decision in force on an item, 835 imports."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from typing import Any

from sqlalchemy import BindParameter, bindparam, insert, select, update

from clientledger.accounting.repository import columns_of
from clientledger.billing.repository import ItemRecord
from clientledger.clients.repository import CLIENT_COLUMNS, ClientRecord
from clientledger.db import Tx
from clientledger.kit.errors import NotFound
from clientledger.kit.ids import new_id
from clientledger.models import (
    appointments,
    bill_items,
    bills,
    clients,
    era_claims,
    era_imports,
    insurance_payments,
    same_practice,
)
from clientledger.rules.insurance import Adjustment, PayerDecision


@dataclass(frozen=True, slots=True)
class InForce:
    """The payer decision posted on an item: what a replacement or a reversal undoes."""

    id: str
    payer: str
    paid: int
    patient_responsibility: int
    contractual: int
    other_adjusted: int
    prior_client_responsibility: int


@dataclass(frozen=True, slots=True)
class InsuredItemRecord(ItemRecord):
    """A billed session with what a decision on it needs: the bill's client side, the session's status
    and the payer decision in force on it (``None`` if none is)."""

    client_id: str
    bill_responsibility: int
    bill_paid: int
    bill_due: int
    apply_available_credit: bool
    bill_status: str
    appointment_status: str
    in_force: InForce | None


@dataclass(frozen=True, slots=True)
class EraImportRecord:
    """An 835 import: the payment it carried and ``report`` (JSON), the import report as answered."""

    id: str
    user_id: str | None
    payer_id: str
    payer_name: str
    trace: str
    file_sha256: str
    payment_total: int
    check_date: dt.date | None
    report: str
    created_at: dt.datetime


_IMPORT_COLUMNS = columns_of(EraImportRecord, era_imports)

# Statements on the import's per-claim path are built once: building one costs several times
# more than running it (see ``journal/projections.py``).
_p: BindParameter[str] = bindparam("practice_id")
# An UPDATE reserves its columns' names for its SET clause: its practice goes by another name.
_in_practice: BindParameter[str] = bindparam("in_practice")
_k: BindParameter[str] = bindparam("k")

# An item with what a decision on it needs, the payer decision in force on it (at most one: a
# unique index says so) last, all in one round trip. The columns follow the record's fields, so
# ``_item`` builds one straight from the row.
_in_force = insurance_payments.alias("in_force")
_ITEM_SIDE = {
    "client_id": bills.c.client_id,
    "bill_responsibility": bills.c.client_responsibility,
    "bill_paid": bills.c.client_paid,
    "bill_due": bills.c.balance_due,
    "apply_available_credit": bills.c.apply_available_credit,
    "bill_status": bills.c.status,
    "appointment_status": appointments.c.status,
}
_ITEM_FIELDS = [f.name for f in fields(InsuredItemRecord) if f.name != "in_force"]
_N = len(_ITEM_FIELDS)
_ITEM = select(
    *(_ITEM_SIDE[n].label(n) if n in _ITEM_SIDE else bill_items.c[n] for n in _ITEM_FIELDS),
    *(_in_force.c[f.name].label(f"in_force_{f.name}") for f in fields(InForce)),
).select_from(
    bill_items.join(bills, same_practice(bills, bill_items, bills.c.id == bill_items.c.bill_id))
    .join(appointments, same_practice(appointments, bill_items, appointments.c.id == bill_items.c.appointment_id))
    .outerjoin(
        _in_force,
        same_practice(_in_force, bill_items, _in_force.c.item_id == bill_items.c.id, _in_force.c.status == "posted"),
    )
)
_END = _N + len(fields(InForce))


def _item(row: Sequence[Any]) -> InsuredItemRecord:
    """The record of a row of ``_ITEM`` (and of statements adding columns after its own)."""
    in_force = InForce(*row[_N:_END]) if row[_N] is not None else None
    values: tuple[Any, ...] = (*row[:_N], in_force)
    return InsuredItemRecord(*values)


_ITEM_BY_ID = _ITEM.where(
    bill_items.c.id == _k, bill_items.c.bill_id == bindparam("bill_id"), bill_items.c.practice_id == _p
)
_ALREADY_POSTED = select(era_claims.c.bill_id).where(
    era_claims.c.practice_id == _p,
    era_claims.c.payer_id == bindparam("payer_id"),
    era_claims.c.trace == bindparam("trace"),
    era_claims.c.claim_key == bindparam("claim_key"),
)
# The importer's one read per claim: the item its CLP01 names, and whether this very claim of this
# payment was posted before (a re-imported file).
_CLAIM = _ITEM.add_columns(_ALREADY_POSTED.scalar_subquery().label("posted_bill_id")).where(
    bill_items.c.practice_id == _p, bill_items.c.claim_ref == _k
)
# The importer's reads for a group of claims (one round trip each, whatever the group's size): the
# clients their CLP01s name, locked in id order on PostgreSQL (two imports never wait on each other
# in a cycle), then the items, then which of the group's keys were posted before.
_refs: BindParameter[list[str]] = bindparam("refs", expanding=True)
_CLIENTS_OF_REFS = (
    select(*CLIENT_COLUMNS)
    .where(
        clients.c.practice_id == _p,
        clients.c.id.in_(
            select(bills.c.client_id)
            .join(bill_items, same_practice(bill_items, bills, bill_items.c.bill_id == bills.c.id))
            .where(bill_items.c.practice_id == _p, bill_items.c.claim_ref.in_(_refs))
        ),
    )
    .order_by(clients.c.id)
)
# FOR NO KEY UPDATE, as ``clients.repository.lock_client``.
_LOCK_CLIENTS_OF_REFS = _CLIENTS_OF_REFS.with_for_update(key_share=True)
_CLAIMS = _ITEM.where(bill_items.c.practice_id == _p, bill_items.c.claim_ref.in_(_refs))
_POSTED_KEYS = select(era_claims.c.claim_key, era_claims.c.bill_id).where(
    era_claims.c.practice_id == _p,
    era_claims.c.payer_id == bindparam("payer_id"),
    era_claims.c.trace == bindparam("trace"),
    era_claims.c.claim_key.in_(bindparam("keys", expanding=True)),
)
_POSTED = select(insurance_payments.c.id).where(
    insurance_payments.c.practice_id == _p, insurance_payments.c.item_id == _k, insurance_payments.c.status == "posted"
)
_SET_INSURANCE = (
    update(bill_items)
    .where(bill_items.c.practice_id == _in_practice, bill_items.c.id == _k)
    .values(insurance_responsibility=bindparam("responsibility"), insurance_paid=bindparam("paid"))
)
_INSERT_PAYMENT = insert(insurance_payments)
_MARK_REVERSED = (
    update(insurance_payments)
    .where(insurance_payments.c.practice_id == _in_practice, insurance_payments.c.id == _k)
    .values(status="reversed", reversed_at=bindparam("at"), reversal_entry_id=bindparam("reversal"))
)
_INSERT_ERA_CLAIM = insert(era_claims)


def get_item_row(tx: Tx, *, bill_id: str, item_id: str) -> InsuredItemRecord:
    row = tx.conn.execute(_ITEM_BY_ID, {"k": item_id, "bill_id": bill_id, "practice_id": tx.practice_id}).first()
    if row is None:
        raise NotFound(f"No item {item_id!r} on bill {bill_id!r}.")
    return _item(row)


def claim_row(
    tx: Tx, *, claim_ref: str, payer_id: str, trace: str, claim_key: str
) -> tuple[InsuredItemRecord, str | None] | None:
    """The item a claim names and the bill this claim was posted to before (a re-import), or None."""
    params = {
        "k": claim_ref,
        "practice_id": tx.practice_id,
        "payer_id": payer_id,
        "trace": trace,
        "claim_key": claim_key,
    }
    row = tx.conn.execute(_CLAIM, params).first()
    return None if row is None else (_item(row), row.posted_bill_id)


@dataclass
class ClaimGroup:
    """What a group of claims needs before its first write, read in three statements."""

    clients: dict[str, ClientRecord]
    items: dict[str, InsuredItemRecord]  # by claim_ref
    posted: dict[str, str]  # claim_key -> bill_id, for keys posted before


def claim_group(tx: Tx, *, claim_refs: list[str], payer_id: str, trace: str, claim_keys: list[str]) -> ClaimGroup:
    """Lock (PostgreSQL) and read the clients a group of claims names, then their items and keys.

    The clients are locked before their items are read, so what is read stays true until commit.
    """
    p = tx.practice_id
    lock = _LOCK_CLIENTS_OF_REFS if tx.dialect == "postgresql" else _CLIENTS_OF_REFS
    conn = tx.conn
    group_clients = {r.id: ClientRecord(*r) for r in conn.execute(lock, {"practice_id": p, "refs": claim_refs})}
    items = {r.claim_ref: _item(r) for r in conn.execute(_CLAIMS, {"practice_id": p, "refs": claim_refs})}
    params = {"practice_id": p, "payer_id": payer_id, "trace": trace, "keys": claim_keys}
    posted = {r.claim_key: r.bill_id for r in conn.execute(_POSTED_KEYS, params)}
    return ClaimGroup(group_clients, items, posted)


@dataclass
class Pending:
    """Rows of a group of decisions written together, one executemany per table.

    Only rows nothing in the group reads back before the flush: an item's insurance columns, its
    new payer decision, a posted claim's key. The flush runs before anything may read them (a
    later claim of the same client) and before commit.
    """

    items: list[dict[str, Any]] = field(default_factory=list)
    payments: list[dict[str, Any]] = field(default_factory=list)
    claims: list[dict[str, Any]] = field(default_factory=list)

    def flush(self, tx: Tx) -> None:
        conn = tx.conn
        if self.items:
            conn.execute(_SET_INSURANCE, self.items)
        if self.payments:
            conn.execute(_INSERT_PAYMENT, self.payments)  # before the keys that reference them
        if self.claims:
            conn.execute(_INSERT_ERA_CLAIM, self.claims)
        self.items, self.payments, self.claims = [], [], []


def item_bill_id(tx: Tx, item_id: str) -> str:
    bill_id = tx.conn.execute(
        select(bill_items.c.bill_id).where(bill_items.c.id == item_id, bill_items.c.practice_id == tx.practice_id)
    ).scalar()
    if bill_id is None:
        raise NotFound(f"No bill item {item_id!r} in this practice.")
    return str(bill_id)


def claim_ref_owner(tx: Tx, claim_ref: str) -> str | None:
    """The item already carrying ``claim_ref`` in this practice, if any."""
    return tx.conn.execute(
        select(bill_items.c.id).where(bill_items.c.practice_id == tx.practice_id, bill_items.c.claim_ref == claim_ref)
    ).scalar()


def set_item_claim_ref(tx: Tx, item_id: str, claim_ref: str) -> None:
    tx.conn.execute(
        update(bill_items)
        .where(bill_items.c.practice_id == tx.practice_id, bill_items.c.id == item_id)
        .values(claim_ref=claim_ref)
    )


def set_item_insurance(
    tx: Tx, item_id: str, *, insurance_responsibility: int, insurance_paid: int, pending: Pending | None = None
) -> None:
    row = {
        "in_practice": tx.practice_id,
        "k": item_id,
        "responsibility": insurance_responsibility,
        "paid": insurance_paid,
    }
    if pending is not None:
        pending.items.append(row)
    else:
        tx.conn.execute(_SET_INSURANCE, row)


def has_posted_payment(tx: Tx, item_id: str) -> bool:
    """True once a payer has decided on the item (a denial included), until that is reversed."""
    return tx.conn.execute(_POSTED, {"practice_id": tx.practice_id, "k": item_id}).first() is not None


def insert_payment(
    tx: Tx,
    *,
    item: InsuredItemRecord,
    payer: str,
    decision: PayerDecision,
    adjustments: Sequence[Adjustment],
    prior_client_responsibility: int,
    entry_id: str | None,
    era_import_id: str | None,
    trace: str | None,
    pending: Pending | None = None,
) -> str:
    """A posted payer decision; with ``pending`` the row waits for ``pending.flush``."""
    payment_id = new_id("ins")
    row = {
        "id": payment_id,
        "practice_id": tx.practice_id,
        "client_id": item.client_id,
        "bill_id": item.bill_id,
        "item_id": item.id,
        "payer": payer,
        "claim_ref": item.claim_ref,
        "paid": decision.paid,
        "patient_responsibility": decision.patient_responsibility,
        "contractual": decision.contractual,
        "other_adjusted": decision.other_adjusted,
        "prior_client_responsibility": prior_client_responsibility,
        "adjustments": json.dumps([[a.group, a.reason, a.amount] for a in adjustments]),
        "era_import_id": era_import_id,
        "trace": trace,
        "status": "posted",
        "entry_id": entry_id,
        "created_at": tx.now,
    }
    if pending is not None:
        pending.payments.append(row)
    else:
        tx.conn.execute(_INSERT_PAYMENT, [row])
    return payment_id


def mark_reversed(tx: Tx, payment_id: str, *, entry_id: str | None) -> None:
    tx.conn.execute(
        _MARK_REVERSED, {"in_practice": tx.practice_id, "k": payment_id, "at": tx.now, "reversal": entry_id}
    )


# 835 imports -------------------------------------------------------------------------------------


def insert_import(
    tx: Tx,
    *,
    payer_id: str,
    payer_name: str,
    trace: str,
    file_sha256: str,
    payment_total: int,
    check_date: dt.date | None,
) -> str:
    import_id = new_id("era")
    tx.conn.execute(
        insert(era_imports),
        [
            {
                "id": import_id,
                "practice_id": tx.practice_id,
                "user_id": tx.ctx.user_id,
                "payer_id": payer_id,
                "payer_name": payer_name,
                "trace": trace,
                "file_sha256": file_sha256,
                "payment_total": payment_total,
                "check_date": check_date,
                "report": "{}",
                "created_at": tx.now,
            }
        ],
    )
    return import_id


def save_report(tx: Tx, import_id: str, report_json: str) -> None:
    tx.conn.execute(
        update(era_imports)
        .where(era_imports.c.practice_id == tx.practice_id, era_imports.c.id == import_id)
        .values(report=report_json)
    )


def get_import_row(tx: Tx, import_id: str) -> EraImportRecord:
    row = tx.conn.execute(
        select(*_IMPORT_COLUMNS).where(era_imports.c.id == import_id, era_imports.c.practice_id == tx.practice_id)
    ).first()
    if row is None:
        raise NotFound(f"No 835 import {import_id!r} in this practice.")
    return EraImportRecord(*row)


def claim_already_posted(tx: Tx, *, payer_id: str, trace: str, claim_key: str) -> str | None:
    """The bill a claim of this payment was posted to before, if it was (a re-imported file)."""
    params = {"practice_id": tx.practice_id, "payer_id": payer_id, "trace": trace, "claim_key": claim_key}
    return tx.conn.execute(_ALREADY_POSTED, params).scalar()


def insert_era_claim(
    tx: Tx,
    *,
    import_id: str,
    payer_id: str,
    trace: str,
    claim_key: str,
    claim_ref: str,
    bill_id: str,
    insurance_payment_id: str | None,
    pending: Pending | None = None,
) -> None:
    """The idempotency key of a posted claim; a concurrent twin import fails on the unique key.

    With ``pending`` the row waits for ``pending.flush`` (which is where a twin then fails).
    """
    row = {
        "id": new_id("erc"),
        "practice_id": tx.practice_id,
        "era_import_id": import_id,
        "payer_id": payer_id,
        "trace": trace,
        "claim_key": claim_key,
        "claim_ref": claim_ref,
        "bill_id": bill_id,
        "insurance_payment_id": insurance_payment_id,
        "created_at": tx.now,
    }
    if pending is not None:
        pending.claims.append(row)
    else:
        tx.conn.execute(_INSERT_ERA_CLAIM, [row])
