"""HTTP: a client's credit (Billing > Settings): balance, lots with provenance, history; add and remove."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from clientledger.api.deps import Idem, Staff
from clientledger.api.errors import declare
from clientledger.credits import service as credits
from clientledger.credits.schemas import CreditRemove, CreditsRead, LotRead, ManualCreditCreate

router = APIRouter(tags=["credits"])


@router.get("/clients/{client_id}/credits", response_model=CreditsRead, responses=declare(404))
def get_credits(client_id: str, rc: Staff) -> CreditsRead:
    """`balance` (sum of the lots' `remaining`), every lot with where it came from, and the history."""
    return rc.read(credits.get_credits, client_id=client_id)


@router.post("/clients/{client_id}/credits", status_code=201, response_model=LotRead, responses=declare(403, 404, 409))
def add_credit(client_id: str, data: ManualCreditCreate, rc: Staff, idem: Idem) -> Response:
    """A manual credit (courtesy, fee waiver, discount, billing resolution, other)."""
    return rc.answer(credits.add_manual_credit, idem, status_code=201, client_id=client_id, data=data)


@router.post("/clients/{client_id}/credits/{lot_id}/remove", response_model=LotRead, responses=declare(403, 404, 409))
def remove_credit(client_id: str, lot_id: str, rc: Staff, idem: Idem, data: CreditRemove | None = None) -> Response:
    """Take credit off the account for good (default: all the lot has left)."""
    body = data if data is not None else CreditRemove()
    return rc.answer(credits.remove_credit, idem, status_code=200, client_id=client_id, lot_id=lot_id, data=body)
