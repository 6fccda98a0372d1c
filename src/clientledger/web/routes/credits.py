"""A client's Billing Settings: available credit, packages, lots and history; add and remove credit."""

from __future__ import annotations

from dataclasses import dataclass, field

from fastapi import Depends
from fastapi.responses import Response

from clientledger.audit import service as audit
from clientledger.cards import service as cards
from clientledger.cards.schemas import CardRead
from clientledger.clients import service as clients
from clientledger.clients.schemas import ClientRead
from clientledger.credits import service as credits
from clientledger.credits.schemas import CreditHistoryEntry, CreditRemove, CreditsRead, LotRead, ManualCreditCreate
from clientledger.kit.errors import ClientLedgerError, ValidationFailed
from clientledger.kit.money import format_cents
from clientledger.kit.use_cases import Permission, use_case
from clientledger.packages import service as packages
from clientledger.packages.schemas import PackageRead
from clientledger.payments import service as payments
from clientledger.payments.schemas import PaymentRead
from clientledger.service_layer import Tx
from clientledger.web.context import Web, action, page
from clientledger.web.history import HistoryLine, history_lines
from clientledger.web.labels import REASONS, history_label, lot_label
from clientledger.web.routing import web_router

router = web_router()

ADD_FORM = "dialogs/add_credit.html"
REMOVE_FORM = "dialogs/remove_credit.html"


@dataclass(frozen=True)
class BillingSettings:
    client: ClientRead
    credits: CreditsRead
    payments: dict[str, PaymentRead]
    history: list[HistoryLine] = field(default_factory=list)  # every lot's, oldest first
    cards: list[CardRead] = field(default_factory=list)  # cards on file, oldest first
    packages: list[PackageRead] = field(default_factory=list)  # oldest first, the order sessions draw

    def lot_history(self, lot: LotRead) -> list[HistoryLine]:
        """Who did what to this lot, and when."""
        return [h for h in self.history if lot.id in h.object_ids]

    @property
    def _funding_entries(self) -> dict[str, str]:
        """Each lot's first entry (history is newest first, so the last row naming the lot)."""
        return {h.lot_id: h.entry_id for h in self.credits.history}

    def lot_source(self, lot: LotRead) -> str:
        kinds = {h.entry_id: h.kind for h in self.credits.history}
        return lot_label(lot.source, created_by=kinds.get(self._funding_entries.get(lot.id, "")))

    def what(self, entry: CreditHistoryEntry) -> str:
        lot = next((x for x in self.credits.lots if x.id == entry.lot_id), None)
        funded = self._funding_entries.get(entry.lot_id) == entry.entry_id
        return history_label(entry.kind, lot=self.lot_source(lot) if lot else "Earlier", funded_the_lot=funded)


@use_case(Permission.READ)
def billing_settings_data(tx: Tx, *, client_id: str) -> BillingSettings:
    client = clients.get_client(tx, client_id=client_id)
    found = credits.get_credits(tx, client_id=client_id)
    payment_ids = dict.fromkeys(lot.payment_id for lot in found.lots if lot.payment_id)
    return BillingSettings(
        client=client,
        credits=found,
        payments={pid: payments.get_payment(tx, payment_id=pid) for pid in payment_ids},
        history=history_lines(audit.object_history(tx, object_ids=[lot.id for lot in found.lots])),
        cards=cards.list_cards(tx, client_id=client_id).data,
        packages=packages.list_packages(tx, client_id=client_id).data,
    )


@router.get("/clients/{client_id}/billing")
def billing_settings(client_id: str, web: Web = Depends(page)) -> Response:
    data = web.read(billing_settings_data, client_id=client_id)
    return web.render("billing_settings.html", nav="clients", data=data, client=data.client)


@router.get("/clients/{client_id}/billing/credits/new")
def add_credit_form(client_id: str, web: Web = Depends(page)) -> Response:
    client = web.read(clients.get_client, client_id=client_id)
    return web.render_form(ADD_FORM, title="Add credit", client=client, form=None)


@router.post("/clients/{client_id}/billing/credits/new")
def add_credit(client_id: str, web: Web = Depends(action)) -> Response:
    client = web.read(clients.get_client, client_id=client_id)
    try:
        amount = web.amount("amount")
        reason = web.field("reason")
        if reason not in REASONS:
            raise ValidationFailed("Reason: choose Courtesy, Fee waiver, Discount, Billing resolution or Other.")
        data = web.build(ManualCreditCreate, amount=amount, reason=reason, note=web.field("note") or None)
        lot = web.submit(credits.add_manual_credit, client_id=client.id, data=data)
    except ClientLedgerError as err:
        return web.refused(ADD_FORM, err, title="Add credit", client=client)
    return web.done(f"/clients/{client.id}/billing", f"Added {format_cents(lot.amount)} of credit.")


@use_case(Permission.READ)
def client_and_lot(tx: Tx, *, client_id: str, lot_id: str) -> tuple[ClientRead, LotRead]:
    return clients.get_client(tx, client_id=client_id), credits.get_lot(tx, client_id=client_id, lot_id=lot_id)


def _lot(web: Web, client_id: str, lot_id: str) -> tuple[ClientRead, LotRead]:
    return web.read(client_and_lot, client_id=client_id, lot_id=lot_id)


@router.get("/clients/{client_id}/billing/credits/{lot_id}/remove")
def remove_credit_form(client_id: str, lot_id: str, web: Web = Depends(page)) -> Response:
    client, lot = _lot(web, client_id, lot_id)
    return web.render_form(REMOVE_FORM, title="Remove credit", client=client, lot=lot, form=None)


@router.post("/clients/{client_id}/billing/credits/{lot_id}/remove")
def remove_credit(client_id: str, lot_id: str, web: Web = Depends(action)) -> Response:
    client, lot = _lot(web, client_id, lot_id)
    try:
        amount = web.amount("amount", required=False)
        data = web.build(CreditRemove, amount=amount, note=web.field("note") or None)
        web.submit(credits.remove_credit, client_id=client.id, lot_id=lot.id, data=data)
    except ClientLedgerError as err:
        return web.refused(REMOVE_FORM, err, title="Remove credit", client=client, lot=lot)
    removed = format_cents(amount) if amount is not None else f"All {format_cents(lot.remaining)} left"
    return web.done(f"/clients/{client.id}/billing", f"{removed} of that credit was removed.")
