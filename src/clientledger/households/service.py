"""Household use cases: a family whose members' bills may share credit (``share_credit``).

Sharing happens where a bill spends credit (``billing``): a member's own lots first, then the
other members', oldest first, under a lock on the household taken before the clients'.
"""

from __future__ import annotations

from clientledger.audit.service import record_event
from clientledger.clients.repository import get_client_row
from clientledger.db import Tx
from clientledger.households.repository import (
    HouseholdRecord,
    get_household_row,
    household_of_client,
    households_of,
    insert_household,
    insert_members,
    member_rows,
    package_credit,
)
from clientledger.households.schemas import HouseholdCreate, HouseholdRead, MemberAdd, MemberRead
from clientledger.kit.errors import AlreadyInHousehold, ValidationFailed
from clientledger.kit.ids import new_id
from clientledger.kit.use_cases import Permission, use_case


def _check_free(tx: Tx, client_ids: list[str]) -> None:
    for client_id in client_ids:
        get_client_row(tx, client_id)  # another practice's client is 404
    taken = households_of(tx, client_ids)
    if taken:
        first = next(c for c in client_ids if c in taken)
        raise AlreadyInHousehold(f"Client {first!r} already belongs to a household.")


@use_case(Permission.MANAGE_CLIENTS)
def create_household(tx: Tx, *, data: HouseholdCreate) -> HouseholdRead:
    """A household of ``client_ids`` (each in no other household)."""
    client_ids = list(dict.fromkeys(data.client_ids))
    if len(client_ids) != len(data.client_ids):
        raise ValidationFailed("client_ids names a client twice.")
    _check_free(tx, client_ids)
    household_id = new_id("hh")
    insert_household(
        tx,
        {
            "id": household_id,
            "practice_id": tx.practice_id,
            "name": data.name,
            "share_credit": data.share_credit,
            "created_at": tx.now,
        },
    )
    insert_members(tx, household_id, client_ids)
    record_event(
        tx,
        action="household.created",
        object_ids=[household_id, *client_ids],
        detail={"name": data.name, "share_credit": data.share_credit},
    )
    return _read(tx, get_household_row(tx, household_id))


@use_case(Permission.MANAGE_CLIENTS)
def add_member(tx: Tx, *, household_id: str, data: MemberAdd) -> HouseholdRead:
    household = get_household_row(tx, household_id, lock=True)
    _check_free(tx, [data.client_id])
    insert_members(tx, household.id, [data.client_id])
    record_event(tx, action="household.member_added", object_ids=[household.id, data.client_id])
    return _read(tx, household)


@use_case(Permission.READ)
def get_household(tx: Tx, *, household_id: str) -> HouseholdRead:
    return _read(tx, get_household_row(tx, household_id))


@use_case(Permission.READ)
def client_household(tx: Tx, *, client_id: str) -> HouseholdRead | None:
    """The household the client belongs to, if any (the client page links it)."""
    get_client_row(tx, client_id)
    household = household_of_client(tx, client_id)
    return None if household is None else _read(tx, household)


def _read(tx: Tx, household: HouseholdRecord) -> HouseholdRead:
    members = member_rows(tx, household.id)
    held = package_credit(tx, [m.id for m in members])
    spendable = sum(m.credit_balance - held.get(m.id, 0) for m in members)
    return HouseholdRead(
        id=household.id,
        name=household.name,
        share_credit=household.share_credit,
        members=[
            MemberRead(
                client_id=m.id,
                name=m.name,
                credit_balance=m.credit_balance,
                balance_due=m.balance_due,
                package_credit=held.get(m.id, 0),
            )
            for m in members
        ],
        credit_balance=sum(m.credit_balance for m in members),
        balance_due=sum(m.balance_due for m in members),
        shared_credit=spendable if household.share_credit else 0,
        created_at=household.created_at,
    )
