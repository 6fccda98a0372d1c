"""``{"data": [...], "next_cursor": ...}``: the one shape every list endpoint answers with."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

from pydantic import BaseModel

from clientledger.api.deps import PageParams
from clientledger.kit.errors import ValidationFailed

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    data: list[T]
    next_cursor: str | None = None


def page_from_query(rows: Sequence[T], params: PageParams, key: Callable[[T], str]) -> Page[T]:
    """``rows`` were fetched with ``limit + 1``: the extra row only says that another page exists."""
    data = list(rows[: params.limit])
    more = len(rows) > params.limit
    return Page[T](data=data, next_cursor=key(data[-1]) if more and data else None)


def page_in_memory(items: Sequence[T], params: PageParams, key: Callable[[T], str]) -> Page[T]:
    """Page a short, already ordered list (one client's appointments); the cursor is the last id seen."""
    start = 0
    if params.cursor is not None:
        ids = [key(i) for i in items]
        if params.cursor not in ids:
            raise ValidationFailed(f"Unknown cursor {params.cursor!r}.")
        start = ids.index(params.cursor) + 1
    return page_from_query(items[start : start + params.limit + 1], params, key)
