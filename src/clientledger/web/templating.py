"""Jinja2 set-up: where templates live and the filters they use to show money, dates and codes."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from fastapi.templating import Jinja2Templates
from jinja2 import ChoiceLoader, FileSystemLoader, pass_context
from jinja2.runtime import Context

from clientledger import documents
from clientledger.documents.render import install_filters
from clientledger.kit.days import DAY_FORMAT, PracticeDay
from clientledger.web import labels

WEB_DIR = Path(__file__).resolve().parent
TEMPLATES_DIR = WEB_DIR / "templates"
STATIC_DIR = WEB_DIR / "static"
HTMX_VERSION = "2.0.11"


def _dollars_input(cents: int | None) -> str:
    """An amount put back into a form field: dollars without the sign or thousands separators."""
    if cents is None:
        return ""
    whole, frac = divmod(cents, 100)
    return f"{whole}.{frac:02d}"


def practice_day(ctx: Context | dict[str, Any]) -> PracticeDay:
    """The days of the practice whose page this is (its time zone rides on the session)."""
    days = ctx.get("days")
    if isinstance(days, PracticeDay):
        return days
    session = ctx.get("session")
    zone = getattr(session, "time_zone", None)
    return PracticeDay(zone) if isinstance(zone, str) else PracticeDay()


@pass_context
def _date(ctx: Context, value: dt.date | dt.datetime | None) -> str:
    """A day as ``YYYY-MM-DD``; an instant (UTC) as the practice's day and time, ``YYYY-MM-DD HH:MM``."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        local = value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value
        return local.astimezone(practice_day(ctx).zone).strftime("%Y-%m-%d %H:%M")
    return value.isoformat()


@pass_context
def _day(ctx: Context, value: dt.date | dt.datetime | None) -> str:
    """The practice's day of an instant (UTC), or a day, as ``YYYY-MM-DD``."""
    if value is None:
        return ""
    return practice_day(ctx).day_of(value).isoformat() if isinstance(value, dt.datetime) else value.isoformat()


templates = Jinja2Templates(directory=str(TEMPLATES_DIR))
# The documents' bodies (``documents/statement.html`` ...): a page includes the same template a PDF prints.
templates.env.loader = ChoiceLoader(
    [FileSystemLoader(str(TEMPLATES_DIR)), FileSystemLoader(str(documents.TEMPLATES_DIR))]
)
install_filters(templates.env)  # money, as documents show it
templates.env.filters["dollars_input"] = _dollars_input
templates.env.filters["date"] = _date
templates.env.filters["day"] = _day
templates.env.globals.update(
    HTMX_VERSION=HTMX_VERSION,
    DAY_FORMAT=DAY_FORMAT,
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
    card_words=labels.card_words,
)
