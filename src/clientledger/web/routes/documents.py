"""A client's statement and superbill as pages and PDF files, and a payment's receipt (PDF).

The page and the PDF include the same body template (``documents/statement.html``,
``documents/superbill.html``); the PDF is printed after the read transaction has closed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from fastapi import Depends, Query
from fastapi.responses import Response

from clientledger.clients import service as clients
from clientledger.documents import render
from clientledger.documents import service as documents
from clientledger.documents.router import pdf
from clientledger.kit.errors import ValidationFailed
from clientledger.web.context import Web, no_store, optional_day, page
from clientledger.web.labels import said
from clientledger.web.routing import web_router

router = web_router()


@dataclass(frozen=True)
class TypedRange:
    """The From and To a person typed in a document's page (blank: the document's default)."""

    start: str | None
    end: str | None

    def days(self) -> dict[str, dt.date | None]:
        return {"start": optional_day(self.start, label="From"), "end": optional_day(self.end, label="To")}


def typed_range(start: str | None = Query(None, alias="from"), end: str | None = Query(None, alias="to")) -> TypedRange:
    return TypedRange(start, end)


def _pdf(file: render.PdfFile) -> Response:
    return no_store(pdf(file))


def _range_query(start: dt.date, end: dt.date) -> str:
    return urlencode({"from": start.isoformat(), "to": end.isoformat()})


def _page(web: Web, client_id: str, kind: str, start: dt.date, end: dt.date, **values: Any) -> Response:
    """A client's document over a range of days, with the fields to change the range and its PDF."""
    return web.render(
        "document_page.html",
        nav="clients",
        kind=kind,
        fields={"from": start.isoformat(), "to": end.isoformat()},
        pdf_url=f"/clients/{client_id}/{kind.lower()}.pdf?{_range_query(start, end)}",
        error=None,
        **values,
    )


def _refused(web: Web, client_id: str, kind: str, err: ValidationFailed, typed: TypedRange) -> Response:
    """The range fields again, with what is wrong with them; no document."""
    client = web.read(clients.get_client, client_id=client_id)
    fields = {"from": typed.start or "", "to": typed.end or ""}
    return web.render(
        "document_page.html", status_code=422, nav="clients", client=client, kind=kind, fields=fields, error=said(err)
    )


@router.get("/clients/{client_id}/statement")
def statement_page(
    client_id: str,
    typed: TypedRange = Depends(typed_range),
    web: Web = Depends(page),
) -> Response:
    try:
        doc = web.read(
            documents.statement,
            client_id=client_id,
            **typed.days(),
        )
    except ValidationFailed as err:
        return _refused(web, client_id, "Statement", err, typed)
    s = doc.statement
    return _page(
        web, client_id, "Statement", s.from_, s.to, client=doc.client, body=render.STATEMENT, doc=doc, statement=s
    )


@router.get("/clients/{client_id}/statement.pdf")
def statement_pdf(
    client_id: str,
    typed: TypedRange = Depends(typed_range),
    web: Web = Depends(page),
) -> Response:
    doc = web.read(
        documents.statement,
        client_id=client_id,
        **typed.days(),
    )
    return _pdf(render.statement_pdf(doc))


@router.get("/clients/{client_id}/superbill")
def superbill_page(
    client_id: str,
    typed: TypedRange = Depends(typed_range),
    web: Web = Depends(page),
) -> Response:
    try:
        bill = web.read(
            documents.superbill,
            client_id=client_id,
            **typed.days(),
        )
    except ValidationFailed as err:
        return _refused(web, client_id, "Superbill", err, typed)
    return _page(
        web, client_id, "Superbill", bill.start, bill.end, client=bill.client, body=render.SUPERBILL, superbill=bill
    )


@router.get("/clients/{client_id}/superbill.pdf")
def superbill_pdf(
    client_id: str,
    typed: TypedRange = Depends(typed_range),
    web: Web = Depends(page),
) -> Response:
    bill = web.read(
        documents.superbill,
        client_id=client_id,
        **typed.days(),
    )
    return _pdf(render.superbill_pdf(bill))


@router.get("/payments/{payment_id}/receipt.pdf")
def receipt_pdf(payment_id: str, web: Web = Depends(page)) -> Response:
    receipt = web.read(documents.receipt, payment_id=payment_id)
    return _pdf(render.receipt_pdf(receipt))
