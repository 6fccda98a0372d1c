"""The client page's "Sell package": a package of sessions paid up front (its list is on Billing Settings)."""

from __future__ import annotations

from fastapi import Depends
from fastapi.responses import Response

from clientledger.cards import service as cards
from clientledger.clients import service as clients
from clientledger.clients.schemas import ClientRead
from clientledger.kit.errors import ClientLedgerError, ValidationFailed
from clientledger.kit.money import format_cents
from clientledger.kit.vocabulary import PaymentMethod
from clientledger.packages import service as packages
from clientledger.packages.schemas import PackageCreate
from clientledger.web.context import Web, action, page
from clientledger.web.labels import CLIENT_METHODS, label
from clientledger.web.routing import web_router

router = web_router()

SELL_FORM = "dialogs/sell_package.html"
TITLE = "Sell package"


def _client(web: Web, client_id: str) -> ClientRead:
    return web.read(clients.get_client, client_id=client_id)


def _sessions(web: Web) -> int:
    """The number of sessions typed, a whole number (the schema's bounds say the rest)."""
    text = web.field("sessions")
    if not text.isdigit():
        shown = f"{text!r} is not a whole number" if text else "enter how many sessions"
        raise ValidationFailed(f"Sessions: {shown}, like 4.")
    return int(text)


@router.get("/clients/{client_id}/packages/new")
def sell_package_form(client_id: str, web: Web = Depends(page)) -> Response:
    client = _client(web, client_id)
    on_file = web.read(cards.list_cards, client_id=client.id).data
    return web.render_form(SELL_FORM, title=TITLE, client=client, cards=on_file, form=None)


@router.post("/clients/{client_id}/packages/new")
def sell_package(client_id: str, web: Web = Depends(action)) -> Response:
    client = _client(web, client_id)
    on_file = web.read(cards.list_cards, client_id=client.id).data
    try:
        method = web.field("type")
        if method not in CLIENT_METHODS:
            raise ValidationFailed("Payment method: choose Credit Card, Cash or Check.")
        sessions = _sessions(web)
        price = web.amount("price", label="Price")
        paid = web.amount("amount", label="Amount paid", required=False)
        payment_method = (web.field("payment_method") or None) if PaymentMethod(method).via_processor else None
        data = web.build(
            PackageCreate,
            name=web.field("name"),
            sessions=sessions,
            price=price,
            service_code=web.field("service_code") or None,
            payment={"type": method, "amount": paid, "payment_method": payment_method},
        )
        package = web.submit(packages.sell_package, client_id=client.id, data=data)
    except ClientLedgerError as err:
        return web.refused(SELL_FORM, err, title=TITLE, client=client, cards=on_file)
    kind = label(CLIENT_METHODS, method)
    sessions_words = f"{package.sessions} session{'s' if package.sessions != 1 else ''}"
    return web.done(
        f"/clients/{client.id}",
        f"Sold {package.name}: {sessions_words} for {format_cents(package.price)}, "
        f"paid {format_cents(data.paid)} by {kind}.",
    )
