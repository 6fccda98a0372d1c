"""Insurance in the web UI: "Post insurance payment" on a bill's session, and the 835 upload page."""

from __future__ import annotations

from fastapi import Depends
from fastapi.responses import Response
from starlette.datastructures import UploadFile

from clientledger.billing.schemas import BillItemRead
from clientledger.insurance import service as insurance
from clientledger.insurance.importer import get_era_import, import_remittance
from clientledger.insurance.schemas import ADJUSTMENT_GROUPS, InsurancePaymentCreate
from clientledger.kit.errors import ClientLedgerError, NotFound, ValidationFailed
from clientledger.kit.money import format_cents
from clientledger.web.context import Web, action, page
from clientledger.web.labels import said
from clientledger.web.routes.bills import BillPage, bill_page_data
from clientledger.web.routing import web_router

router = web_router()

PAYMENT_FORM = "dialogs/insurance_payment.html"
ADJUSTMENT_ROWS = 3


def _item(data: BillPage, item_id: str) -> BillItemRead:
    for item in data.bill.items:
        if item.id == item_id:
            return item
    raise NotFound("This session is not on the bill.")


@router.get("/bills/{bill_id}/insurance-payments/new")
def insurance_payment_form(bill_id: str, item_id: str, web: Web = Depends(page)) -> Response:
    data = web.read(bill_page_data, bill_id=bill_id)
    item = _item(data, item_id)
    return web.render_form(
        PAYMENT_FORM, title="Post insurance payment", bill=data.bill, item=item, rows=ADJUSTMENT_ROWS, form=None
    )


@router.post("/bills/{bill_id}/insurance-payments/new")
def post_insurance_payment(bill_id: str, web: Web = Depends(action)) -> Response:
    data = web.read(bill_page_data, bill_id=bill_id)
    item = _item(data, web.field("item_id"))
    try:
        request = web.build(
            InsurancePaymentCreate,
            item_id=item.id,
            payer=web.field("payer"),
            paid=web.amount("paid", label="Insurance paid", required=False) or 0,
            patient_responsibility=web.amount("patient_responsibility", label="Patient responsibility", required=False)
            or 0,
            adjustments=_adjustments(web),
        )
        result = web.submit(insurance.post_insurance_payment, bill_id=data.bill.id, data=request)
    except ClientLedgerError as err:
        return web.refused(
            PAYMENT_FORM, err, title="Post insurance payment", bill=data.bill, item=item, rows=ADJUSTMENT_ROWS
        )
    flash = (
        f"Posted the insurance payment of {format_cents(request.paid)}: the client's responsibility is now "
        f"{format_cents(request.patient_responsibility)}."
    )
    credited = sum(lot.amount for lot in result.credits_created)
    if credited:
        flash += f" {format_cents(credited)} the client had paid went to their credit."
    return web.done(f"/bills/{data.bill.id}", flash)


def _adjustments(web: Web) -> list[dict[str, object]]:
    """The form's adjustment rows (group, reason code, dollars); blank rows are skipped."""
    rows = []
    for n in range(ADJUSTMENT_ROWS):
        group, reason = web.field(f"adj_group_{n}"), web.field(f"adj_reason_{n}").upper()
        if not (reason or web.field(f"adj_amount_{n}")):
            continue
        if group not in ADJUSTMENT_GROUPS:
            raise ValidationFailed(f"Adjustment {n + 1}: choose a group (CO, PR, OA, PI or CR).")
        amount = web.amount(f"adj_amount_{n}", label=f"Adjustment {n + 1} amount", required=False) or 0
        rows.append({"group": group, "reason": reason, "amount": amount})
    return rows


@router.get("/era-imports/new")
def upload_form(web: Web = Depends(page)) -> Response:
    return web.render("era_upload.html", nav="era", error=None)


#: Where the 835 upload form posts: the edge lets it carry up to 25 MiB (other forms: 1 MiB).
ERA_UPLOAD_PATH = "/era-imports/new"


@router.post(ERA_UPLOAD_PATH)
def upload(web: Web = Depends(action)) -> Response:
    """Import the uploaded 835, then show its report (a reload shows it again, posting nothing)."""
    assert web.form is not None
    upload = web.form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return web.render("era_upload.html", status_code=422, nav="era", error="Choose an 835 file to import.")
    try:
        report = web.submit(import_remittance, source=upload.file)
    except ClientLedgerError as err:
        status = err.status_code if 400 <= err.status_code < 500 else 422
        return web.render("era_upload.html", status_code=status, nav="era", error=said(err))
    t = report.totals
    flash = f"Imported {report.trace}: {t.posted} of {t.claims} claims posted."
    return web.done(f"/era-imports/{report.id}", flash)


@router.get("/era-imports/{import_id}")
def import_report(import_id: str, web: Web = Depends(page)) -> Response:
    report = web.read(get_era_import, import_id=import_id)
    return web.render("era_report.html", nav="era", report=report)
