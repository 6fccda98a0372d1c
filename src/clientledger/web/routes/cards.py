"""Cards on file, on a client's Billing Settings: "Add card" (the processor's own card form) and "Remove card".

With Stripe the card form is Stripe Elements: the card number goes from the browser to Stripe, and
the page posts us only the payment method Stripe made (``pm_...``). With the simulator the form
offers Stripe's test payment methods instead.
"""

from __future__ import annotations

import os
from typing import Any

from fastapi import Depends
from fastapi.responses import Response

from clientledger.cards import service as cards
from clientledger.cards.schemas import CardCreate, CardRead, CardSetup
from clientledger.clients import service as clients
from clientledger.clients.schemas import ClientRead
from clientledger.kit.errors import ClientLedgerError, NotFound, ValidationFailed
from clientledger.kit.use_cases import Permission, use_case
from clientledger.service_layer import Tx
from clientledger.web.context import Web, action, page
from clientledger.web.labels import card_words
from clientledger.web.routing import web_router

router = web_router()

CARD_FORM = "partials/card_form.html"
REMOVE_FORM = "dialogs/remove_card.html"
STRIPE_PUBLISHABLE_KEY_ENV = "CLIENTLEDGER_STRIPE_PUBLISHABLE_KEY"


def _setup(web: Web, client: ClientRead) -> CardSetup | None:
    """The processor's card form set up for the client (Stripe: a SetupIntent), or None for the simulator."""
    if web.runner.processor.name == "simulated" or not web.can(Permission.TAKE_PAYMENT):
        return None
    return web.runner.run(web.actor, cards.start_card_setup, client_id=client.id)


def _form_values(web: Web, client: ClientRead) -> dict[str, Any]:
    setup = _setup(web, client)
    return {
        "client": client,
        "setup": setup if setup is not None and setup.client_secret else None,
        "publishable_key": os.environ.get(STRIPE_PUBLISHABLE_KEY_ENV, ""),
        "has_cards": bool(web.read(cards.list_cards, client_id=client.id).data),
    }


@router.get("/clients/{client_id}/billing/cards/new")
def add_card_form(client_id: str, web: Web = Depends(page)) -> Response:
    client = web.read(clients.get_client, client_id=client_id)
    return web.render_form(CARD_FORM, title="Add card", form=None, **_form_values(web, client))


@router.post("/clients/{client_id}/billing/cards/new")
def add_card(client_id: str, web: Web = Depends(action)) -> Response:
    client = web.read(clients.get_client, client_id=client_id)
    try:
        payment_method = web.field("payment_method")
        if not payment_method:
            raise ValidationFailed("Card: choose a card, or enter it in the card form.")
        data = web.build(CardCreate, payment_method=payment_method, make_default=web.checked("make_default") or None)
        card = web.submit(cards.add_card, client_id=client.id, data=data)
    except ClientLedgerError as err:
        return web.refused(CARD_FORM, err, title="Add card", **_form_values(web, client))
    default = " It is the default card." if card.is_default else ""
    return web.done(f"/clients/{client.id}/billing", f"Added the {card_words(card.brand, card.last4)}.{default}")


@use_case(Permission.READ)
def client_and_card(tx: Tx, *, client_id: str, card_id: str) -> tuple[ClientRead, CardRead]:
    client = clients.get_client(tx, client_id=client_id)
    for card in cards.list_cards(tx, client_id=client_id).data:
        if card.id == card_id:
            return client, card
    raise NotFound(f"No card {card_id!r} for this client.")


@router.get("/clients/{client_id}/billing/cards/{card_id}/remove")
def remove_card_form(client_id: str, card_id: str, web: Web = Depends(page)) -> Response:
    client, card = web.read(client_and_card, client_id=client_id, card_id=card_id)
    return web.render_form(REMOVE_FORM, title="Remove card", client=client, card=card, form=None)


@router.post("/clients/{client_id}/billing/cards/{card_id}/remove")
def remove_card(client_id: str, card_id: str, web: Web = Depends(action)) -> Response:
    client, card = web.read(client_and_card, client_id=client_id, card_id=card_id)
    try:
        web.submit(cards.remove_card, client_id=client.id, card_id=card.id)
    except ClientLedgerError as err:
        return web.refused(REMOVE_FORM, err, title="Remove card", client=client, card=card)
    return web.done(f"/clients/{client.id}/billing", f"Removed the {card_words(card.brand, card.last4)}.")
