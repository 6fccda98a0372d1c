"""The import report: one line per claim, in file order, and the totals staff check first.

Written as the claims are posted rather than built at the end: the report of a 10,000-claim file
is 10,000 lines, and holding each as a model until the end cost more memory than the whole parse.
Each line is serialised through ``ClaimReport`` (so the JSON is exactly the schema's) and appended
to one buffer; only the lines a person must look at stay as objects, for the CLI's table.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field

from clientledger.insurance.era835 import RemittanceHeader
from clientledger.insurance.schemas import ClaimReport, CreditCreated, EraImportRead, ImportTotals
from clientledger.insurance.service import CreatedLot

#: Lines kept as objects whatever their result (a short file is listed whole); beyond them, only
#: the claims that did not post.
LISTED = 50
_CLAIMS_SLOT = '"claims":[]'


@dataclass(slots=True)
class Outcome:
    """What became of one claim."""

    claim_ref: str
    status_code: str
    paid: int
    result: str
    reason: str | None
    bill_id: str | None
    credits: list[CreatedLot] = field(default_factory=list)


@dataclass
class ImportReport:
    """A finished import: its id, totals, the listed lines, and the report's JSON (what the API answers)."""

    id: str
    trace: str
    payer_name: str
    totals: ImportTotals
    listed: list[ClaimReport]
    warnings: list[str]
    json: str

    def model_dump_json(self) -> str:
        """The stored answer, as written once (a report of thousands of claims is not rebuilt)."""
        return self.json

    def read(self) -> EraImportRead:
        """The whole report as a model (every claim: for scripts and tests, not for huge files)."""
        return EraImportRead.model_validate_json(self.json)


class ReportWriter:
    def __init__(self) -> None:
        self.totals = ImportTotals()
        self.listed: list[ClaimReport] = []
        self._claims = io.StringIO()

    def add(self, o: Outcome) -> None:
        line = ClaimReport(
            claim_ref=o.claim_ref,
            result=o.result,  # type: ignore[arg-type]
            reason=o.reason,
            bill_id=o.bill_id,
            status_code=o.status_code,
            paid=o.paid,
            credits_created=[
                CreditCreated(lot_id=c.lot_id, amount=c.amount, payment_id=c.payment_id) for c in o.credits
            ],
        )
        t = self.totals
        self._claims.write("," if t.claims else "")
        self._claims.write(line.model_dump_json())
        if t.claims < LISTED or o.result != "posted":
            self.listed.append(line)
        t.claims += 1
        setattr(t, o.result, getattr(t, o.result) + 1)
        t.matched += o.bill_id is not None
        if o.result == "posted":
            t.paid_posted += o.paid
            t.credits_created_amount += sum(c.amount for c in o.credits)

    def finish(
        self, *, import_id: str, header: RemittanceHeader, created_at: dt.datetime, warnings: list[str]
    ) -> ImportReport:
        head = EraImportRead(
            id=import_id,
            trace=header.trace_number,
            payer_id=header.payer_id,
            payer_name=header.payer_name,
            payment_total=header.payment_total,
            check_date=header.check_date,
            created_at=created_at,
            claims=[],
            totals=self.totals,
            warnings=warnings,
        ).model_dump_json()
        # Strings inside the JSON have their quotes escaped, so the empty claims list is the only match.
        before, after = head.split(_CLAIMS_SLOT)
        claims = self._claims.getvalue()
        self._claims.close()  # one copy of the lines at a time: this report can be megabytes
        body = "".join((before, '"claims":[', claims, "]", after))
        return ImportReport(
            id=import_id,
            trace=header.trace_number,
            payer_name=header.payer_name,
            totals=self.totals,
            listed=self.listed,
            warnings=warnings,
            json=body,
        )
