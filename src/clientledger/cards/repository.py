"""Card queries: a client's saved payment methods, and the processor customer that holds them."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime

from sqlalchemy import delete, insert, select, update

from clientledger.db import Tx
from clientledger.kit.errors import NotFound
from clientledger.models import cards, clients


@dataclass(frozen=True, slots=True)
class CardRecord:
    id: str
    client_id: str
    processor: str
    payment_method: str
    brand: str
    last4: str
    exp_month: int | None
    exp_year: int | None
    is_default: bool
    created_at: datetime


CARD_COLUMNS = [cards.c[f.name] for f in fields(CardRecord)]


def client_card_rows(tx: Tx, client_id: str) -> list[CardRecord]:
    """The client's cards, oldest first."""
    stmt = (
        select(*CARD_COLUMNS)
        .where(cards.c.practice_id == tx.practice_id, cards.c.client_id == client_id)
        .order_by(cards.c.created_at, cards.c.id)
    )
    return [CardRecord(*r) for r in tx.conn.execute(stmt)]


def get_card_row(tx: Tx, client_id: str, card_id: str) -> CardRecord:
    row = tx.conn.execute(
        select(*CARD_COLUMNS).where(
            cards.c.practice_id == tx.practice_id, cards.c.client_id == client_id, cards.c.id == card_id
        )
    ).first()
    if row is None:
        raise NotFound(f"No card {card_id!r} for this client.")
    return CardRecord(*row)


def find_card_row(tx: Tx, client_id: str, payment_method: str) -> CardRecord | None:
    """The client's card saved as ``payment_method``, if it is one."""
    row = tx.conn.execute(
        select(*CARD_COLUMNS).where(
            cards.c.practice_id == tx.practice_id,
            cards.c.client_id == client_id,
            cards.c.payment_method == payment_method,
        )
    ).first()
    return CardRecord(*row) if row is not None else None


def default_card_row(tx: Tx, client_id: str) -> CardRecord | None:
    row = tx.conn.execute(
        select(*CARD_COLUMNS)
        .where(cards.c.practice_id == tx.practice_id, cards.c.client_id == client_id, cards.c.is_default.is_(True))
        .order_by(cards.c.created_at.desc(), cards.c.id.desc())
        .limit(1)
    ).first()
    return CardRecord(*row) if row is not None else None


def insert_card(
    tx: Tx,
    *,
    card_id: str,
    client_id: str,
    processor: str,
    payment_method: str,
    brand: str,
    last4: str,
    exp_month: int | None,
    exp_year: int | None,
) -> None:
    tx.conn.execute(
        insert(cards),
        [
            dict(
                id=card_id,
                practice_id=tx.practice_id,
                client_id=client_id,
                processor=processor,
                payment_method=payment_method,
                brand=brand,
                last4=last4,
                exp_month=exp_month,
                exp_year=exp_year,
                is_default=False,
                created_at=tx.now,
            )
        ],
    )


def update_card_details(
    tx: Tx, card_id: str, *, brand: str, last4: str, exp_month: int | None, exp_year: int | None
) -> None:
    """What the processor says about a card saved again (its expiry may have changed)."""
    tx.conn.execute(
        update(cards)
        .where(cards.c.practice_id == tx.practice_id, cards.c.id == card_id)
        .values(brand=brand, last4=last4, exp_month=exp_month, exp_year=exp_year)
    )


def make_default(tx: Tx, client_id: str, card_id: str | None) -> None:
    """``card_id`` becomes the client's only default card (None: no default)."""
    scope = (cards.c.practice_id == tx.practice_id, cards.c.client_id == client_id)
    tx.conn.execute(update(cards).where(*scope, cards.c.is_default.is_(True)).values(is_default=False))
    if card_id is not None:
        tx.conn.execute(update(cards).where(*scope, cards.c.id == card_id).values(is_default=True))


def delete_card(tx: Tx, client_id: str, card_id: str) -> None:
    tx.conn.execute(
        delete(cards).where(
            cards.c.practice_id == tx.practice_id, cards.c.client_id == client_id, cards.c.id == card_id
        )
    )


def processor_customer(tx: Tx, client_id: str) -> str | None:
    """The processor's customer (``cus_...``) that holds the client's cards, once there is one."""
    value = tx.conn.execute(
        select(clients.c.processor_customer).where(clients.c.practice_id == tx.practice_id, clients.c.id == client_id)
    ).scalar()
    return str(value) if value is not None else None


def set_processor_customer(tx: Tx, client_id: str, customer: str) -> None:
    tx.conn.execute(
        update(clients)
        .where(clients.c.practice_id == tx.practice_id, clients.c.id == client_id)
        .values(processor_customer=customer)
    )
