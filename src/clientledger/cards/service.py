"""Cards on file: saving a client's card with the processor, choosing the default, removing it, and
which card (and customer) a card payment charges.

The processor is never called inside a transaction: the read-only precheck finds the client and
its processor customer, the ``prepare`` step (outside any transaction) makes the customer if there
is none and saves the card on it, and the use case records what the processor answered.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from clientledger.audit.service import record_event
from clientledger.cards.repository import (
    CardRecord,
    client_card_rows,
    default_card_row,
    delete_card,
    find_card_row,
    get_card_row,
    insert_card,
    make_default,
    processor_customer,
    set_processor_customer,
    update_card_details,
)
from clientledger.cards.schemas import CardCreate, CardList, CardRead, CardSetup
from clientledger.clients.repository import get_client_row, lock_client
from clientledger.db import Tx
from clientledger.kit.errors import ClientLedgerError, NoCardOnFile
from clientledger.kit.ids import new_id
from clientledger.kit.processing import CardDetails, PaymentProcessor
from clientledger.kit.use_cases import ChargeRequest, Permission, Preparation, use_case
from clientledger.payments.processors.base import DEFAULT_PAYMENT_METHOD

log = logging.getLogger("clientledger.cards")

PROCESSOR_NEEDS_A_CARD = frozenset({"stripe"})
"""Processors that charge only real cards: a client without one cannot be charged by default."""


@dataclass(frozen=True)
class CardOwner:
    """The client a card is for, as the precheck found it (read-only, before the processor)."""

    practice_id: str
    client_id: str
    name: str
    email: str | None
    customer: str | None


@dataclass(frozen=True)
class SavedCard:
    customer: str
    card: CardDetails


def card_owner(tx: Tx, *, client_id: str, **_: object) -> CardOwner:
    """Read-only: the client exists in this practice, and its processor customer if it has one."""
    client = get_client_row(tx, client_id)
    return CardOwner(tx.practice_id, client.id, client.name, client.email, processor_customer(tx, client_id))


def ensure_customer(processor: PaymentProcessor, owner: CardOwner) -> str:
    """The client's processor customer, made if it has none. The key names the practice and the
    client, so two requests racing to make it get one customer from the processor."""
    if owner.customer is not None:
        return owner.customer
    return processor.create_customer(
        name=owner.name,
        email=owner.email,
        idempotency_key=f"customer-{owner.practice_id}-{owner.client_id}",
        metadata={"practice_id": owner.practice_id, "client_id": owner.client_id},
    )


def save_on_processor(step: Preparation, *, data: CardCreate, **_: object) -> SavedCard:
    """Outside any transaction: the customer, then the card attached to it."""
    owner: CardOwner = step.checked
    customer = ensure_customer(step.processor, owner)
    card = step.processor.save_card(
        customer=customer, payment_method=data.payment_method, idempotency_key=f"card-{step.key}"
    )
    return SavedCard(customer, card)


def open_card_form(step: Preparation, **_: object) -> CardSetup:
    """Outside any transaction: the customer, then the processor's secret for its card form."""
    customer = ensure_customer(step.processor, step.checked)
    return CardSetup(
        customer=customer,
        client_secret=step.processor.card_setup(customer=customer, idempotency_key=f"setup-{step.key}"),
    )


def _keep_customer(tx: Tx, client_id: str, customer: str) -> None:
    if processor_customer(tx, client_id) is None:
        set_processor_customer(tx, client_id, customer)
        record_event(tx, action="client.processor_customer_created", object_ids=[client_id])


@use_case(Permission.TAKE_PAYMENT, precheck=card_owner, prepare=save_on_processor)
def add_card(tx: Tx, *, client_id: str, data: CardCreate, prepared: SavedCard) -> CardRead:
    """Record a card the processor saved for the client; its first card is its default."""
    lock_client(tx, client_id)
    _keep_customer(tx, client_id, prepared.customer)
    details = prepared.card
    existing = find_card_row(tx, client_id, details.payment_method)
    if existing is not None:
        card_id = existing.id
        update_card_details(
            tx,
            card_id,
            brand=details.brand,
            last4=details.last4,
            exp_month=details.exp_month,
            exp_year=details.exp_year,
        )
    else:
        card_id = new_id("card")
        insert_card(
            tx,
            card_id=card_id,
            client_id=client_id,
            processor=tx.processor.name,
            payment_method=details.payment_method,
            brand=details.brand,
            last4=details.last4,
            exp_month=details.exp_month,
            exp_year=details.exp_year,
        )
    default = default_card_row(tx, client_id)
    if data.make_default is True or default is None:
        make_default(tx, client_id, card_id)
    record_event(
        tx,
        action="card.added",
        object_ids=[card_id, client_id],
        detail={"brand": details.brand, "last4": details.last4, "default": data.make_default},
    )
    return _card_read(get_card_row(tx, client_id, card_id))


@use_case(Permission.TAKE_PAYMENT)
def remove_card(tx: Tx, *, client_id: str, card_id: str) -> None:
    """Forget a card; the processor detaches it once this is committed. The newest card left
    becomes the default when the default goes."""
    lock_client(tx, client_id)
    card = get_card_row(tx, client_id, card_id)
    delete_card(tx, client_id, card_id)
    if card.is_default:
        left = client_card_rows(tx, client_id)
        make_default(tx, client_id, left[-1].id if left else None)
    record_event(
        tx, action="card.removed", object_ids=[card_id, client_id], detail={"brand": card.brand, "last4": card.last4}
    )
    processor = tx.processor
    tx.after_commit(lambda: _detach(processor, card))


def _detach(processor: PaymentProcessor, card: CardRecord) -> None:
    """The card is gone from the ledger whatever the processor says; a failed detach is logged."""
    try:
        processor.remove_card(payment_method=card.payment_method)
    except ClientLedgerError as exc:
        log.warning("the processor did not detach card %s: %s", card.id, exc.message)


@use_case(Permission.TAKE_PAYMENT, precheck=card_owner, prepare=open_card_form)
def start_card_setup(tx: Tx, *, client_id: str, prepared: CardSetup) -> CardSetup:
    """Before the processor's own card form opens: keep the client's customer (made once)."""
    _keep_customer(tx, client_id, prepared.customer)
    return prepared


@use_case(Permission.READ)
def list_cards(tx: Tx, *, client_id: str) -> CardList:
    get_client_row(tx, client_id)
    return CardList(data=[_card_read(c) for c in client_card_rows(tx, client_id)])


def charge_request(
    tx: Tx, *, client_id: str, amount: int, payment_method: str | None, metadata: dict[str, str]
) -> ChargeRequest:
    """What a card payment charges: ``payment_method`` (with the client's customer when it is one
    of its saved cards), else the client's default card. With no card on file the simulator
    charges its visa test card, so demos and tests need no set-up; Stripe cannot (``no_card_on_file``)."""
    meta = {"practice_id": tx.practice_id, "client_id": client_id, **metadata}
    if payment_method is not None:
        saved = find_card_row(tx, client_id, payment_method)
        customer = processor_customer(tx, client_id) if saved is not None else None
        return ChargeRequest(amount=amount, payment_method=payment_method, customer=customer, metadata=meta)
    card = default_card_row(tx, client_id)
    if card is not None:
        return ChargeRequest(
            amount=amount, payment_method=card.payment_method, customer=processor_customer(tx, client_id), metadata=meta
        )
    if tx.processor.name in PROCESSOR_NEEDS_A_CARD:
        raise NoCardOnFile("There is no card on file for this client: add a card or choose a payment method.")
    return ChargeRequest(amount=amount, payment_method=DEFAULT_PAYMENT_METHOD, metadata=meta)


def _card_read(card: CardRecord) -> CardRead:
    return CardRead(
        id=card.id,
        payment_method=card.payment_method,
        brand=card.brand,
        last4=card.last4,
        exp_month=card.exp_month,
        exp_year=card.exp_year,
        is_default=card.is_default,
    )
