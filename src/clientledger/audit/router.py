"""HTTP: the audit trail, who did what and when, optionally for one object."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Query

from clientledger.api.deps import Paging, Staff
from clientledger.api.errors import declare
from clientledger.api.pagination import Page, page_from_query
from clientledger.audit.repository import AuditEventRecord
from clientledger.audit.schemas import AuditEventRead
from clientledger.audit.service import list_events
from clientledger.kit.schemas import Id

router = APIRouter(tags=["audit"])


def _event(row: AuditEventRecord) -> AuditEventRead:
    return AuditEventRead(
        id=row.id,
        action=row.action,
        user_id=row.user_id,
        user_name=row.user_name,
        object_ids=row.object_ids.split() if row.object_ids else [],
        detail=json.loads(row.detail) if row.detail else None,
        request_id=row.request_id,
        created_at=row.created_at,
    )


@router.get("/audit", response_model=Page[AuditEventRead], responses=declare())
def list_audit_events(
    rc: Staff,
    paging: Paging,
    object_id: Annotated[Id | None, Query(description="Only events touching this object")] = None,
) -> Page[AuditEventRead]:
    """Audit events, newest first: the user, the action, the objects, the time and the request id."""
    rows = rc.read(list_events, object_id=object_id, limit=paging.limit + 1, cursor=paging.cursor)
    return page_from_query([_event(r) for r in rows], paging, key=lambda e: e.id)
