"""Reports: the credit liability and aging as of a chosen day, and the journal as CSV."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from fastapi import Depends, Query
from fastapi.responses import Response

from clientledger.kit.errors import ValidationFailed
from clientledger.kit.use_cases import Permission, use_case
from clientledger.reports import service as reports
from clientledger.reports.schemas import AgingRead, CreditBalancesRead
from clientledger.service_layer import Tx
from clientledger.web.context import Web, no_store, optional_day, page
from clientledger.web.routing import web_router

router = web_router()


@dataclass(frozen=True)
class ReportsPage:
    credit: CreditBalancesRead
    aging: AgingRead

    @property
    def clients_with_credit(self) -> list[tuple[str, str, int]]:
        return [(c.client_id, c.name, c.credit_balance) for c in self.credit.clients if c.credit_balance]


@use_case(Permission.READ)
def reports_page_data(tx: Tx, *, as_of: dt.date | None) -> ReportsPage:
    return ReportsPage(credit=reports.credit_balances(tx, as_of=as_of), aging=reports.aging(tx, as_of=as_of))


@router.get("/reports")
def reports_page(web: Web = Depends(page), as_of: str | None = Query(None)) -> Response:
    error = None
    try:
        day = optional_day(as_of, label="As of")
    except ValidationFailed as err:
        error, day = err.message, None
    data = web.read(reports_page_data, as_of=day)
    return web.render(
        "reports.html",
        status_code=422 if error else 200,
        nav="reports",
        data=data,
        as_of_text=as_of if error else data.credit.as_of.isoformat(),
        error=error,
    )


@router.get("/reports/journal.csv")
def journal_csv(
    web: Web = Depends(page),
    start: str | None = Query(None, alias="from"),
    end: str | None = Query(None, alias="to"),
) -> Response:
    """The journal CSV (as ``GET /api/v1/reports/journal`` with ``Accept: text/csv``), for the session."""
    text = web.read(reports.journal_csv, start=optional_day(start, label="From"), end=optional_day(end, label="To"))
    return no_store(
        Response(
            content=text,
            media_type="text/csv",
            headers={"Content-Disposition": 'attachment; filename="journal.csv"'},
        )
    )
