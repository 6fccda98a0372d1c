"""HTTP: statements (JSON, or PDF with ``Accept: application/pdf``), receipts and superbills (PDF)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from clientledger.api.deps import Staff
from clientledger.api.errors import declare
from clientledger.documents import render
from clientledger.documents import service as documents
from clientledger.documents.schemas import StatementRead
from clientledger.kit.schemas import Day

router = APIRouter(tags=["documents"])

From = Annotated[Day | None, Query(alias="from", description="First day (the practice's), inclusive; YYYY-MM-DD")]
To = Annotated[
    Day | None, Query(alias="to", description="Last day (the practice's), inclusive; YYYY-MM-DD (default: today)")
]


def _pdf_response(description: str) -> dict[int | str, dict[str, Any]]:
    return {
        200: {"description": description, "content": {render.PDF: {"schema": {"type": "string", "format": "binary"}}}}
    }


def pdf(file: render.PdfFile) -> Response:
    """A PDF to download."""
    return Response(content=file.data, media_type=render.PDF, headers=render.attachment(file.name))


def wants_pdf(request: Request) -> bool:
    """Whether ``Accept`` asks for the PDF: it names ``application/pdf`` with a quality above 0 and
    at least that of ``application/json`` if it names JSON too (wildcards mean JSON, the default)."""
    quality: dict[str, float] = {}
    for part in request.headers.get("accept", "").split(","):
        kind, *params = (p.strip() for p in part.split(";"))
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        quality[kind.lower()] = max(q, quality.get(kind.lower(), 0.0))
    pdf = quality.get(render.PDF, 0.0)
    return pdf > 0 and pdf >= quality.get("application/json", 0.0)


@router.get(
    "/clients/{client_id}/statement",
    response_model=StatementRead,
    responses={**declare(404), **_pdf_response("The statement: JSON, or with `Accept: application/pdf` a PDF file")},
)
def statement(
    request: Request, client_id: str, rc: Staff, start: From = None, end: To = None
) -> StatementRead | Response:
    """Every bill, payment, refund and credit movement of the client in the range, oldest first,
    from the journal: `opening_balance_due + sum(charges) - sum(payments) == closing_balance_due`.
    `from` defaults to the day of the client's first movement, `to` to today (the practice's days).
    With `Accept: application/pdf`: the statement as a PDF file."""
    doc = rc.read(documents.statement, client_id=client_id, start=start, end=end)
    if not wants_pdf(request):
        return doc.statement
    return pdf(render.statement_pdf(doc))


@router.get(
    "/payments/{payment_id}/receipt",
    response_class=Response,
    responses={**declare(404), **_pdf_response("The payment's receipt, a PDF file")},
)
def receipt(payment_id: str, rc: Staff) -> Response:
    """A client payment's receipt (PDF): practice, client, date, method, amount, the bill it paid,
    what went to credit, and its refunds."""
    data = rc.read(documents.receipt, payment_id=payment_id)
    return pdf(render.receipt_pdf(data))


@router.get(
    "/clients/{client_id}/superbill",
    response_class=Response,
    responses={**declare(404), **_pdf_response("The superbill, a PDF file")},
)
def superbill(client_id: str, rc: Staff, start: From = None, end: To = None) -> Response:
    """A superbill (PDF): the practice's name, NPI and tax ID, the client, and each session billed
    in the range (date of service, service code, fee, what the client and insurance paid)."""
    data = rc.read(documents.superbill, client_id=client_id, start=start, end=end)
    return pdf(render.superbill_pdf(data))
