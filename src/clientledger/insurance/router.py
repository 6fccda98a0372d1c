"""HTTP: a payer's decision posted by hand on a bill item, and 835 (ERA) files uploaded for import."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Header, Request, UploadFile
from fastapi.responses import Response

from clientledger.api.deps import Idem, IdempotencyRequest, Staff
from clientledger.api.errors import declare
from clientledger.insurance import service
from clientledger.insurance.importer import file_sha256, get_era_import, import_remittance
from clientledger.insurance.schemas import EraImportRead, InsurancePaymentCreate, InsurancePaymentResult

router = APIRouter(tags=["insurance"])


@router.post(
    "/bills/{bill_id}/insurance-payments",
    response_model=InsurancePaymentResult,
    responses=declare(403, 404, 409),
)
def post_insurance_payment(bill_id: str, data: InsurancePaymentCreate, rc: Staff, idem: Idem) -> Response:
    """A payer's decision on one item (an EOB posted by hand; rule 5). The item's client
    responsibility becomes `patient_responsibility`; client money paid beyond it leaves the bill
    (client_credit lines back to their lots first, then card/cash/check lines, newest first, into
    `insurance_adjustment` lots, listed in `credits_created`); a rise is owed, and met from credit
    on bills made with `apply_available_credit`. `paid + patient_responsibility` + the non-PR
    adjustments must equal the item's fee (422 otherwise). A later payment from the same payer
    replaces the earlier one; another payer's is 409."""
    return rc.answer(service.post_insurance_payment, idem, status_code=200, bill_id=bill_id, data=data)


@router.post("/era-imports", status_code=201, response_model=EraImportRead, responses=declare(403, 409))
def create_era_import(
    request: Request,
    rc: Staff,
    file: Annotated[UploadFile, File(description="An X12 835 remittance (ERA)")],
    idempotency_key: Annotated[
        str | None,
        Header(
            min_length=1,
            max_length=255,
            description="Retry-safe key: the same key and file replay the first report; a different file is 409.",
        ),
    ] = None,
) -> Response:
    """Import an 835: each claim (CLP) matched to a session by `claim_ref` and posted on its own;
    a claim that does not match or does not balance is reported and posts nothing, while the rest
    of the file posts. Re-importing a file posts nothing new (claims report `duplicate`). A file that
    is not a valid 835 is 422 `validation_error` and posts nothing; a file above 25 MiB is 413
    `payload_too_large`. Every upload, one that posts nothing or is refused included, writes an
    audit event (`era_import.received`, `era_import.refused`)."""
    # The key covers the file's content, not the multipart body: a retry re-encodes the upload with
    # a new boundary, and must still replay.
    content = file_sha256(file.file)
    idem = IdempotencyRequest(key=idempotency_key, method="POST", path=request.url.path, content=content)
    return rc.answer(import_remittance, idem, status_code=201, source=file.file)


@router.get("/era-imports/{import_id}", response_model=EraImportRead, responses=declare(404))
def read_era_import(import_id: str, rc: Staff) -> EraImportRead:
    """An earlier import's report, as it was first answered."""
    return rc.read(get_era_import, import_id=import_id)
