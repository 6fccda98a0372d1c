"""Practice and staff queries."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from clientledger.db import Database
from clientledger.models import practices, users


@dataclass(frozen=True)
class PracticeRef:
    id: str
    name: str


@dataclass(frozen=True)
class StaffMember:
    id: str
    practice_id: str
    email: str
    role: str


def practice_ids(db: Database) -> list[str]:
    """Every practice on this database (start-up work such as recovering pending refunds)."""
    with db.engine.connect() as conn:
        return list(conn.execute(select(practices.c.id).order_by(practices.c.id)).scalars())


def find_practice(db: Database, name: str) -> PracticeRef | None:
    with db.engine.connect() as conn:
        row = conn.execute(select(practices.c.id, practices.c.name).where(practices.c.name == name)).first()
    return None if row is None else PracticeRef(id=row.id, name=row.name)


def list_practices(db: Database) -> list[PracticeRef]:
    with db.engine.connect() as conn:
        rows = conn.execute(select(practices.c.id, practices.c.name).order_by(practices.c.name)).all()
    return [PracticeRef(id=r.id, name=r.name) for r in rows]


def find_staff(
    db: Database, practice_id: str, *, email: str | None = None, role: str | None = None
) -> StaffMember | None:
    """A staff member of the practice by email, or the first (oldest) one with ``role``."""
    stmt = select(users.c.id, users.c.practice_id, users.c.email, users.c.role).where(
        users.c.practice_id == practice_id
    )
    if email is not None:
        stmt = stmt.where(users.c.email == email.strip().lower())
    if role is not None:
        stmt = stmt.where(users.c.role == role)
    with db.engine.connect() as conn:
        row = conn.execute(stmt.order_by(users.c.created_at, users.c.id)).first()
    return None if row is None else StaffMember(id=row.id, practice_id=row.practice_id, email=row.email, role=row.role)
