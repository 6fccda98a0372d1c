"""HTTP: the events outbox, what every money movement wrote, oldest first."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from clientledger.api.deps import Paging, Staff
from clientledger.api.errors import declare
from clientledger.api.pagination import Page, page_from_query
from clientledger.events import service as events
from clientledger.events.schemas import EventRead
from clientledger.kit.vocabulary import EventType

router = APIRouter(tags=["events"])


@router.get("/events", response_model=Page[EventRead], responses=declare())
def list_events(
    rc: Staff,
    paging: Paging,
    type: Annotated[EventType | None, Query(description="Only events of this type (its exact name)")] = None,
) -> Page[EventRead]:
    """Events oldest first (`next_cursor` pages on to newer ones): payments, refunds, bills and every
    movement of credit, each written in the transaction of the movement itself."""
    rows = rc.read(events.list_events, type=type, limit=paging.limit + 1, cursor=paging.cursor)
    return page_from_query(rows, paging, key=lambda e: e.id)


@router.get("/events/{event_id}", response_model=EventRead, responses=declare(404))
def get_event(event_id: str, rc: Staff) -> EventRead:
    """One event, as listed and as delivered to webhooks."""
    return rc.read(events.get_event, event_id=event_id)
