"""HTTP: a client's credit (Billing > Settings): balance, lots with provenance, history; add and remove."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from clientledger.api.deps import Reader, Writer, read
from clientledger.api.errors import declare
from clientledger.api.idempotency import Idem, execute
from clientledger.credits import service as credits
from clientledger.credits.schemas import CreditRemove, CreditsRead, LotRead, ManualCreditCreate

router = APIRouter(tags=["credits"])


@router.get("/clients/{client_id}/credits", response_model=CreditsRead, responses=declare(404))
def get_credits(client_id: str, rc: Reader) -> CreditsRead:
    """`balance` (sum of the lots' `remaining`), every lot with where it came from, and the history."""
    return read(rc, lambda tx: credits.get_credits(tx, client_id=client_id))


@router.post("/clients/{client_id}/credits", status_code=201, response_model=LotRead, responses=declare(403, 404, 409))
def add_credit(client_id: str, data: ManualCreditCreate, rc: Writer, idem: Idem) -> Response:
    """A manual credit (courtesy, fee waiver, discount, billing resolution, other)."""
    return execute(
        rc, idem, status_code=201, use_case=lambda tx, _: credits.add_manual_credit(tx, client_id=client_id, data=data)
    )


@router.post("/clients/{client_id}/credits/{lot_id}/remove", response_model=LotRead, responses=declare(403, 404, 409))
def remove_credit(client_id: str, lot_id: str, rc: Writer, idem: Idem, data: CreditRemove | None = None) -> Response:
    """Take credit off the account for good (default: all the lot has left)."""
    body = data if data is not None else CreditRemove()
    return execute(
        rc,
        idem,
        status_code=200,
        use_case=lambda tx, _: credits.remove_credit(tx, client_id=client_id, lot_id=lot_id, data=body),
    )
