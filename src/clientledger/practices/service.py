"""Practices and their staff."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import Row, insert, select, update

from clientledger.audit.service import record_event
from clientledger.auth.passwords import hash_password, new_token, token_digest
from clientledger.db import Ctx, Database, Tx, utcnow
from clientledger.kit.errors import Conflict, NotFound
from clientledger.kit.ids import new_id
from clientledger.kit.use_cases import Permission, use_case
from clientledger.models import api_tokens, practices, users
from clientledger.practices.schemas import PracticeRead, PracticeUpdate, UserCreate, UserRead


@use_case(Permission.READ)
def get_practice(tx: Tx) -> PracticeRead:
    row = tx.conn.execute(select(practices).where(practices.c.id == tx.practice_id)).first()
    if row is None:
        raise NotFound("No such practice.")
    return PracticeRead.model_validate(row)


@use_case(Permission.CHANGE_SETTINGS)
def update_practice(tx: Tx, *, data: PracticeUpdate) -> PracticeRead:
    values = data.model_dump(exclude_none=True)
    if "name" in values:
        taken = tx.conn.execute(
            select(practices.c.id).where(practices.c.name == values["name"], practices.c.id != tx.practice_id)
        ).first()
        if taken:
            raise Conflict(f"Another practice is already named {values['name']!r}.")
    if values:
        tx.conn.execute(update(practices).where(practices.c.id == tx.practice_id).values(**values))
        record_event(tx, action="practice.updated", object_ids=[tx.practice_id], detail=values)
    return get_practice(tx)


@use_case(Permission.MANAGE_STAFF)
def create_user(tx: Tx, *, data: UserCreate) -> UserRead:
    email = data.email.strip().lower()
    exists = tx.conn.execute(
        select(users.c.id).where(users.c.practice_id == tx.practice_id, users.c.email == email)
    ).first()
    if exists:
        raise Conflict(f"A user with email {email!r} already exists in this practice.")
    user_id = new_id("usr")
    tx.conn.execute(
        insert(users).values(
            id=user_id,
            practice_id=tx.practice_id,
            email=email,
            password_hash=hash_password(data.password),
            role=data.role,
            created_at=tx.now,
        )
    )
    record_event(tx, action="user.created", object_ids=[user_id], detail={"email": email, "role": data.role})
    return UserRead.model_validate(tx.conn.execute(select(users).where(users.c.id == user_id)).one())


def issue_token(tx: Tx, *, user_id: str, ttl: timedelta, kind: str = "api") -> str:
    """A new bearer token for ``user_id``; only its digest is stored."""
    token = new_token()
    tx.conn.execute(
        insert(api_tokens).values(
            id=new_id("tok"),
            practice_id=tx.practice_id,
            user_id=user_id,
            token_hash=token_digest(token),
            kind=kind,
            created_at=tx.now,
            expires_at=tx.now + ttl,
        )
    )
    return token


def find_practice_by_name(db: Database, name: str) -> Row[Any] | None:
    with db.engine.connect() as conn:
        return conn.execute(select(practices).where(practices.c.name == name)).first()


def ensure_practice_and_owner(db: Database, *, name: str, email: str, password: str | None, ttl: timedelta) -> str:
    """``clientledger init``: find or create the practice and its owner; return a new owner token."""
    existing = find_practice_by_name(db, name)
    practice_id = existing.id if existing else new_id("prc")
    ctx = Ctx(practice_id=practice_id)
    with db.transaction(ctx) as tx:
        if existing is None:
            tx.conn.execute(
                insert(practices).values(id=practice_id, name=name, auto_apply_credit=True, created_at=utcnow())
            )
        email = email.strip().lower()
        owner = tx.conn.execute(select(users).where(users.c.practice_id == practice_id, users.c.email == email)).first()
        if owner is None:
            user = create_user(tx, data=UserCreate(email=email, password=password or new_token(), role="owner"))
            owner_id = user.id
        else:
            owner_id = owner.id
            if password:
                tx.conn.execute(
                    update(users).where(users.c.id == owner_id).values(password_hash=hash_password(password))
                )
        return issue_token(tx, user_id=owner_id, ttl=ttl)
