"""Jinja2 set-up: where templates live and the filters they use to show money, dates and codes."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from fastapi.templating import Jinja2Templates

from clientledger.kit.money import format_cents
from clientledger.web import labels

WEB_DIR = Path(__file__).resolve().parent
TEMPLATES_DIR = WEB_DIR / "templates"
STATIC_DIR = WEB_DIR / "static"
HTMX_VERSION = "2.0.11"


def _money(cents: int | None) -> str:
    return "" if cents is None else format_cents(cents)


def _dollars_input(cents: int | None) -> str:
    """An amount put back into a form field: dollars without the sign or thousands separators."""
    if cents is None:
        return ""
    whole, frac = divmod(cents, 100)
    return f"{whole}.{frac:02d}"


def _date(value: dt.date | dt.datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return value.isoformat()


def _day(value: dt.date | dt.datetime | None) -> str:
    if value is None:
        return ""
    return value.date().isoformat() if isinstance(value, dt.datetime) else value.isoformat()


templates = Jinja2Templates(directory=str(TEMPLATES_DIR))
templates.env.filters["money"] = _money
templates.env.filters["dollars_input"] = _dollars_input
templates.env.filters["date"] = _date
templates.env.filters["day"] = _day
templates.env.globals.update(
    HTMX_VERSION=HTMX_VERSION,
    PAYMENT_TYPES=labels.PAYMENT_TYPES,
    CLIENT_METHODS=labels.CLIENT_METHODS,
    LOT_SOURCES=labels.LOT_SOURCES,
    REASONS=labels.REASONS,
    APPOINTMENT_STATUSES=labels.APPOINTMENT_STATUSES,
    NEW_STATUSES=labels.NEW_STATUSES,
    BILL_STATUSES=labels.BILL_STATUSES,
    BILLING=labels.BILLING,
    ENTRY_KINDS=labels.ENTRY_KINDS,
    label=labels.label,
)
