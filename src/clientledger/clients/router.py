"""HTTP: clients (the account every bill, payment and credit belongs to)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from clientledger.api.deps import Idem, Paging, Staff
from clientledger.api.errors import declare
from clientledger.api.pagination import Page, page_from_query
from clientledger.clients import service as clients
from clientledger.clients.schemas import ClientCreate, ClientRead

router = APIRouter(tags=["clients"])


@router.post("/clients", status_code=201, response_model=ClientRead, responses=declare(403, 409))
def create_client(data: ClientCreate, rc: Staff, idem: Idem) -> Response:
    """Add a client; an insurance client needs a copay (integer cents, 0 allowed)."""
    return rc.answer(clients.create_client, idem, status_code=201, data=data)


@router.get("/clients", response_model=Page[ClientRead], responses=declare())
def list_clients(
    rc: Staff,
    paging: Paging,
    q: Annotated[str | None, Query(max_length=200, description="Part of a name or email, case aside")] = None,
) -> Page[ClientRead]:
    """Clients sorted by name (then id); `q` keeps those whose name or email holds it."""
    rows = rc.read(clients.list_clients, q=q, limit=paging.limit + 1, cursor=paging.cursor)
    return page_from_query(rows, paging, key=lambda c: c.id)


@router.get("/clients/{client_id}", response_model=ClientRead, responses=declare(404))
def get_client(client_id: str, rc: Staff) -> ClientRead:
    """The client with its `credit_balance` and `balance_due` (integer cents)."""
    return rc.read(clients.get_client, client_id=client_id)
