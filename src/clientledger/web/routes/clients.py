"""The client list, a new client, and one client's page (appointments, bills, credit)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from fastapi import Depends
from fastapi.responses import Response

from clientledger.appointments import service as appointments
from clientledger.appointments.schemas import AppointmentRead
from clientledger.billing import service as billing
from clientledger.billing.schemas import BillRead
from clientledger.clients import service as clients
from clientledger.clients.schemas import ClientCreate, ClientRead
from clientledger.households import service as households
from clientledger.households.schemas import HouseholdRead
from clientledger.kit.errors import ClientLedgerError, ValidationFailed
from clientledger.kit.use_cases import Permission, use_case
from clientledger.service_layer import Tx
from clientledger.web.context import Web, action, page
from clientledger.web.labels import said
from clientledger.web.routing import web_router

router = web_router()

PAGE_SIZE = 50
CLIENT_PAGE_SIZE = 20  # bills and appointments on a client's page, each a page at a time


@dataclass(frozen=True)
class ClientPage:
    client: ClientRead
    appointments: list[AppointmentRead]
    bills: list[BillRead]
    older_appointments: str | None  # the cursor of the next page, if there is one
    older_bills: str | None
    household: HouseholdRead | None = None


@use_case(Permission.READ)
def client_page_data(
    tx: Tx, *, client_id: str, appointments_cursor: str | None = None, bills_cursor: str | None = None
) -> ClientPage:
    """A client with a page of appointments (latest first), a page of bills (newest first) and
    the household the client belongs to, if any."""
    client = clients.get_client(tx, client_id=client_id)
    appts = appointments.list_client_appointments(
        tx, client_id=client_id, limit=CLIENT_PAGE_SIZE + 1, cursor=appointments_cursor
    )
    bills = billing.list_client_bills(tx, client_id=client_id, limit=CLIENT_PAGE_SIZE + 1, cursor=bills_cursor)
    return ClientPage(
        client=client,
        appointments=appts[:CLIENT_PAGE_SIZE],
        bills=bills[:CLIENT_PAGE_SIZE],
        older_appointments=appts[CLIENT_PAGE_SIZE - 1].id if len(appts) > CLIENT_PAGE_SIZE else None,
        older_bills=bills[CLIENT_PAGE_SIZE - 1].id if len(bills) > CLIENT_PAGE_SIZE else None,
        household=households.client_household(tx, client_id=client_id),
    )


@router.get("/clients")
def client_list(q: str = "", cursor: str | None = None, web: Web = Depends(page)) -> Response:
    """The clients by name, a page at a time; ``q`` keeps those whose name or email holds it. The
    search box asks as one types (htmx) and gets only the results table back."""
    q = q.strip()[:200]
    rows = web.read(clients.list_clients, q=q or None, limit=PAGE_SIZE + 1, cursor=cursor or None)
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    values: dict[str, Any] = dict(clients=rows, q=q, cursor=cursor, next_cursor=rows[-1].id if more and rows else None)
    if web.htmx:
        return web.fragment("partials/client_results.html", **values)
    return web.render("clients.html", nav="clients", **values)


@router.get("/clients/new")
def new_client_form(web: Web = Depends(page)) -> Response:
    return web.render("client_new.html", nav="clients", form=None, error=None)


@router.post("/clients/new")
def create_client(web: Web = Depends(action)) -> Response:
    try:
        billing_kind = web.field("billing") or "self_pay"
        copay = web.amount("copay", label="Copay", required=False) if billing_kind == "insurance" else None
        if billing_kind == "insurance" and copay is None:
            raise ValidationFailed("Copay: an insurance client needs a copay ($0.00 is allowed).")
        data = web.build(
            ClientCreate,
            name=web.field("name"),
            email=web.field("email") or None,
            billing=billing_kind,
            copay=copay,
        )
        client = web.submit(clients.create_client, data=data)
    except ClientLedgerError as err:
        status = err.status_code if 400 <= err.status_code < 500 else 422
        return web.render("client_new.html", status_code=status, nav="clients", form=web.form, error=said(err))
    return web.done(f"/clients/{client.id}", f"Added {client.name}.")


@router.get("/clients/{client_id}")
def client_page(
    client_id: str,
    appointments_cursor: str | None = None,
    bills_cursor: str | None = None,
    web: Web = Depends(page),
) -> Response:
    data = web.read(
        client_page_data,
        client_id=client_id,
        appointments_cursor=appointments_cursor or None,
        bills_cursor=bills_cursor or None,
    )
    cursors = {"appointments_cursor": appointments_cursor or "", "bills_cursor": bills_cursor or ""}

    def older(name: str, cursor: str) -> str:
        """The next page of one list, the other list staying where it is."""
        kept = {k: v for k, v in {**cursors, name: cursor}.items() if v}
        return f"/clients/{data.client.id}?{urlencode(kept)}"

    return web.render("client.html", nav="clients", data=data, client=data.client, cursors=cursors, older=older)
