"""Practices and their staff."""

from __future__ import annotations

from datetime import timedelta

from clientledger.audit.service import record_event
from clientledger.auth.passwords import hash_password, new_token, token_digest
from clientledger.auth.repository import insert_token
from clientledger.db import Ctx, Database, Tx, utcnow
from clientledger.kit.days import PracticeDay
from clientledger.kit.errors import Conflict, NotFound
from clientledger.kit.ids import new_id
from clientledger.kit.use_cases import Permission, use_case
from clientledger.practices.repository import (
    PracticeRecord,
    get_practice_record,
    get_user_record,
    insert_practice,
    insert_user,
    name_taken_by_another,
    practice_by_name,
    practice_time_zone,
    set_password_hash,
    update_practice_row,
    user_id_by_email,
)
from clientledger.practices.schemas import PracticeRead, PracticeUpdate, UserCreate, UserRead

CLEARABLE_SETTINGS = ("npi", "tax_id")


def practice_day(tx: Tx) -> PracticeDay:
    """The acting practice's days (its time zone): for use cases that take or show days."""
    return PracticeDay(practice_time_zone(tx))


@use_case(Permission.READ)
def get_practice(tx: Tx) -> PracticeRead:
    row = get_practice_record(tx)
    if row is None:
        raise NotFound("No such practice.")
    return PracticeRead.model_validate(row)


@use_case(Permission.CHANGE_SETTINGS)
def update_practice(tx: Tx, *, data: PracticeUpdate) -> PracticeRead:
    # A null NPI or tax id clears it; a null anything else (or a field left out) changes nothing.
    values = {k: v for k, v in data.model_dump(exclude_unset=True).items() if v is not None or k in CLEARABLE_SETTINGS}
    if "name" in values and name_taken_by_another(tx, values["name"]):
        raise Conflict(f"Another practice is already named {values['name']!r}.")
    if values:
        update_practice_row(tx, values)
        record_event(tx, action="practice.updated", object_ids=[tx.practice_id], detail=values)
    return get_practice(tx)


@use_case(Permission.MANAGE_STAFF)
def create_user(tx: Tx, *, data: UserCreate) -> UserRead:
    email = data.email.strip().lower()
    if user_id_by_email(tx, email) is not None:
        raise Conflict(f"A user with email {email!r} already exists in this practice.")
    user_id = new_id("usr")
    name = data.name.strip() if data.name else None
    insert_user(tx, user_id=user_id, email=email, password_hash=hash_password(data.password), role=data.role, name=name)
    record_event(tx, action="user.created", object_ids=[user_id], detail={"email": email, "role": data.role})
    return UserRead.model_validate(get_user_record(tx, user_id))


def issue_token(tx: Tx, *, user_id: str, ttl: timedelta, kind: str = "api") -> str:
    """A new bearer token for ``user_id``; only its digest is stored."""
    token = new_token()
    insert_token(tx, user_id=user_id, token_hash=token_digest(token), kind=kind, ttl=ttl)
    return token


def find_practice_by_name(db: Database, name: str) -> PracticeRecord | None:
    return practice_by_name(db, name)


def ensure_practice_and_owner(db: Database, *, name: str, email: str, password: str | None, ttl: timedelta) -> str:
    """``clientledger init``: find or create the practice and its owner; return a new owner token."""
    existing = find_practice_by_name(db, name)
    practice_id = existing.id if existing else new_id("prc")
    ctx = Ctx(practice_id=practice_id)
    with db.transaction(ctx) as tx:
        if existing is None:
            insert_practice(tx, name=name, auto_apply_credit=True, created_at=utcnow())
        email = email.strip().lower()
        owner_id = user_id_by_email(tx, email)
        if owner_id is None:
            user = create_user(tx, data=UserCreate(email=email, password=password or new_token(), role="owner"))
            owner_id = user.id
        elif password:
            set_password_hash(tx, owner_id, hash_password(password))
        return issue_token(tx, user_id=owner_id, ttl=ttl)
