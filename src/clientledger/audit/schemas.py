from __future__ import annotations

from typing import Any

from clientledger.kit.schemas import ReadModel, UtcDateTime


class AuditEventRead(ReadModel):
    id: str
    action: str
    user_id: str | None = None
    object_ids: list[str]
    detail: dict[str, Any] | None = None
    request_id: str | None = None
    created_at: UtcDateTime
