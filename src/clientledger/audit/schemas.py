from __future__ import annotations

from typing import Any

from pydantic import Field

from clientledger.kit.schemas import ReadModel, UtcDateTime


class AuditEventRead(ReadModel):
    id: str
    action: str
    user_id: str | None = None
    user_name: str | None = Field(None, description="The user's name, else their email; null when no user acted")
    object_ids: list[str]
    detail: dict[str, Any] | None = None
    request_id: str | None = None
    created_at: UtcDateTime
