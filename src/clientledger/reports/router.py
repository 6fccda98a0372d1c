"""HTTP: the credit liability report and the journal (JSON, or CSV with ``Accept: text/csv``)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from clientledger.api.deps import Paging, Staff
from clientledger.api.errors import declare
from clientledger.api.pagination import Page, page_from_query
from clientledger.kit.schemas import Day
from clientledger.reports import service as reports
from clientledger.reports.schemas import AgingRead, CreditBalancesRead, JournalEntryRead

router = APIRouter(tags=["reports"])

_CSV_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "Journal entries, each with postings that sum to zero",
        "content": {"text/csv": {"schema": {"type": "string"}}},
    }
}


@router.get("/reports/credit-balances", response_model=CreditBalancesRead, responses=declare())
def credit_balances(
    rc: Staff,
    as_of: Annotated[
        Day | None, Query(description="The end of this day in the practice's time zone (default: today); YYYY-MM-DD")
    ] = None,
) -> CreditBalancesRead:
    """Each client's credit balance at the end of `as_of`, and the total: the practice's credit
    liability, computed from the journal."""
    return rc.read(reports.credit_balances, as_of=as_of)


@router.get("/reports/aging", response_model=AgingRead, responses=declare())
def aging(
    rc: Staff,
    as_of: Annotated[
        Day | None, Query(description="The end of this day in the practice's time zone (default: today); YYYY-MM-DD")
    ] = None,
) -> AgingRead:
    """What clients owe at the end of `as_of`, by the age of each bill with a balance due: whole days
    from the practice's day the bill was created to `as_of`, in buckets `0_30`, `31_60`, `61_90` and
    `over_90` (integer cents), per client (by name, only clients with something due) and summed.

    Exact for past days too: each bill's balance due at the end of `as_of` comes from the journal
    (its client receivable postings until then), so a bill paid since counts as it stood then, and
    bills created after `as_of` are left out."""
    return rc.read(reports.aging, as_of=as_of)


@router.get(
    "/reports/journal",
    response_model=Page[JournalEntryRead],
    responses={**declare(), **_CSV_RESPONSE},
)
def journal(
    request: Request,
    rc: Staff,
    paging: Paging,
    start: Annotated[
        Day | None, Query(alias="from", description="First day (the practice's), inclusive; YYYY-MM-DD")
    ] = None,
    end: Annotated[
        Day | None, Query(alias="to", description="Last day (the practice's), inclusive; YYYY-MM-DD")
    ] = None,
) -> Page[JournalEntryRead] | Response:
    """Balanced journal entries, oldest first. With `Accept: text/csv`: the whole range as CSV,
    one row per posting (no paging)."""
    if "text/csv" in request.headers.get("accept", ""):
        text = rc.read(reports.journal_csv, start=start, end=end)
        return Response(
            content=text,
            media_type="text/csv",
            headers={"Content-Disposition": 'attachment; filename="journal.csv"'},
        )
    rows = rc.read(reports.journal, start=start, end=end, limit=paging.limit + 1, cursor=paging.cursor)
    return page_from_query(rows, paging, key=lambda e: e.id)
