"""Pin the time transactions happen at (``Tx.now``), in-process: the ledger, the API and the pages."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import pytest

from clientledger import db as db_module
from clientledger.db import Tx


@contextmanager
def at_moment(monkeypatch: pytest.MonkeyPatch, moment: dt.datetime) -> Iterator[None]:
    """Transactions opened meanwhile happen at ``moment`` (naive UTC, or aware)."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC).replace(tzinfo=None)

    @dataclass
    class TxAtMoment(Tx):
        now: dt.datetime = field(default_factory=lambda: moment)

    with monkeypatch.context() as m:
        m.setattr(db_module, "Tx", TxAtMoment)
        yield


@contextmanager
def on_day(monkeypatch: pytest.MonkeyPatch, day: dt.date) -> Iterator[None]:
    """Transactions opened meanwhile happen at 15:00 UTC on ``day``."""
    with at_moment(monkeypatch, dt.datetime.combine(day, dt.time(15))):
        yield
