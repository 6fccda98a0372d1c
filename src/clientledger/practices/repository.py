"""Practice and staff queries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, insert, select, update

from clientledger.db import Database, Tx
from clientledger.models import email_directory, practices, users


@dataclass(frozen=True, slots=True)
class PracticeRecord:
    id: str
    name: str
    auto_apply_credit: bool
    created_at: datetime
    time_zone: str
    npi: str | None
    tax_id: str | None


@dataclass(frozen=True, slots=True)
class UserRecord:
    """A staff account (without its password hash)."""

    id: str
    practice_id: str
    email: str
    role: str
    created_at: datetime
    name: str | None


_PRACTICE_COLUMNS = (
    practices.c.id,
    practices.c.name,
    practices.c.auto_apply_credit,
    practices.c.created_at,
    practices.c.time_zone,
    practices.c.npi,
    practices.c.tax_id,
)
_USER_COLUMNS = (users.c.id, users.c.practice_id, users.c.email, users.c.role, users.c.created_at, users.c.name)


def practice_ids(db: Database) -> list[str]:
    """Every practice on this database (start-up work such as recovering pending refunds)."""
    with db.engine.connect() as conn:
        return list(conn.execute(select(practices.c.id).order_by(practices.c.id)).scalars())


def list_practices(db: Database) -> list[PracticeRecord]:
    with db.engine.connect() as conn:
        rows = conn.execute(select(*_PRACTICE_COLUMNS).order_by(practices.c.name)).all()
    return [PracticeRecord(*r) for r in rows]


def find_staff(
    db: Database, practice_id: str, *, email: str | None = None, role: str | None = None
) -> UserRecord | None:
    """A staff member of the practice by email, or the first (oldest) one with ``role``."""
    stmt = select(*_USER_COLUMNS).where(users.c.practice_id == practice_id)
    if email is not None:
        stmt = stmt.where(users.c.email == email.strip().lower())
    if role is not None:
        stmt = stmt.where(users.c.role == role)
    with db.engine.connect() as conn:
        row = conn.execute(stmt.order_by(users.c.created_at, users.c.id)).first()
    return None if row is None else UserRecord(*row)


def practice_by_name(db: Database, name: str) -> PracticeRecord | None:
    with db.engine.connect() as conn:
        row = conn.execute(select(*_PRACTICE_COLUMNS).where(practices.c.name == name)).first()
    return None if row is None else PracticeRecord(*row)


# In the acting practice (``tx.practice_id``)


def get_practice_record(tx: Tx) -> PracticeRecord | None:
    row = tx.conn.execute(select(*_PRACTICE_COLUMNS).where(practices.c.id == tx.practice_id)).first()
    return None if row is None else PracticeRecord(*row)


def insert_practice(tx: Tx, *, name: str, auto_apply_credit: bool, created_at: datetime) -> None:
    """The acting practice's own row (``clientledger init``)."""
    tx.conn.execute(
        insert(practices).values(
            id=tx.practice_id, name=name, auto_apply_credit=auto_apply_credit, created_at=created_at
        )
    )


def name_taken_by_another(tx: Tx, name: str) -> bool:
    found = tx.conn.execute(
        select(practices.c.id).where(practices.c.name == name, practices.c.id != tx.practice_id)
    ).first()
    return found is not None


def update_practice_row(tx: Tx, values: dict[str, Any]) -> None:
    tx.conn.execute(update(practices).where(practices.c.id == tx.practice_id).values(**values))


def user_id_by_email(tx: Tx, email: str) -> str | None:
    """The acting practice's user with this (normalized) email."""
    found = tx.conn.execute(
        select(users.c.id).where(users.c.practice_id == tx.practice_id, users.c.email == email)
    ).scalar()
    return None if found is None else str(found)


def insert_user(tx: Tx, *, user_id: str, email: str, password_hash: str, role: str, name: str | None = None) -> None:
    tx.conn.execute(
        insert(users).values(
            id=user_id,
            practice_id=tx.practice_id,
            email=email,
            name=name,
            password_hash=password_hash,
            role=role,
            created_at=tx.now,
        )
    )
    # The global lookup a login starts from (auth.repository.login_candidates).
    tx.conn.execute(insert(email_directory).values(email=email, practice_id=tx.practice_id))


def get_user_record(tx: Tx, user_id: str) -> UserRecord:
    row = tx.conn.execute(
        select(*_USER_COLUMNS).where(users.c.id == user_id, users.c.practice_id == tx.practice_id)
    ).one()
    return UserRecord(*row)


def set_password_hash(tx: Tx, user_id: str, password_hash: str) -> None:
    tx.conn.execute(
        update(users)
        .where(users.c.id == user_id, users.c.practice_id == tx.practice_id)
        .values(password_hash=password_hash)
    )


_TIME_ZONE = select(practices.c.time_zone).where(practices.c.id == bindparam("practice_id"))


def practice_time_zone(tx: Tx) -> str:
    """The acting practice's IANA time zone (``kit.days``)."""
    return str(tx.conn.execute(_TIME_ZONE, {"practice_id": tx.practice_id}).scalar_one())


_AUTO_APPLY = select(practices.c.auto_apply_credit).where(practices.c.id == bindparam("practice_id"))


def auto_apply_credit(tx: Tx) -> bool:
    """Whether the acting practice pays new bills from credit unless staff opt out (``create_bill``)."""
    return bool(tx.conn.execute(_AUTO_APPLY, {"practice_id": tx.practice_id}).scalar())
