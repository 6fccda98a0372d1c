"""HTTP: a client's cards on file (the processor's payment methods; never a card number)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from clientledger.api.deps import Idem, Staff
from clientledger.api.errors import declare
from clientledger.cards import service as cards
from clientledger.cards.schemas import CardCreate, CardList, CardRead

router = APIRouter(tags=["cards"])


@router.post(
    "/clients/{client_id}/cards", status_code=201, response_model=CardRead, responses=declare(402, 403, 404, 409, 503)
)
def add_card(client_id: str, data: CardCreate, rc: Staff, idem: Idem) -> Response:
    """Save a card for the client: `payment_method` is the processor's id from its own card form
    (Stripe's `pm_...`). The client's first card, or one sent with `make_default`, is its default,
    which card payments charge when they name no `payment_method`. A card the processor refuses is
    402 `card_declined` and saves nothing."""
    return rc.answer(cards.add_card, idem, status_code=201, client_id=client_id, data=data)


@router.get("/clients/{client_id}/cards", response_model=CardList, responses=declare(404))
def list_cards(client_id: str, rc: Staff) -> CardList:
    """The client's cards on file, oldest first: brand, last four digits, expiry, and which is the default."""
    return rc.read(cards.list_cards, client_id=client_id)


@router.delete(
    "/clients/{client_id}/cards/{card_id}", status_code=204, response_class=Response, responses=declare(403, 404, 409)
)
def remove_card(client_id: str, card_id: str, rc: Staff, idem: Idem) -> Response:
    """Forget a card (the processor detaches it). When it was the default, the newest card left becomes it."""
    return rc.answer(cards.remove_card, idem, status_code=204, client_id=client_id, card_id=card_id)
