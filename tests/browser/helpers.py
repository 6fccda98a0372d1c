"""Small helpers that find things the way staff (and assistive technology) do: by role and name."""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from playwright.sync_api import Locator, Page, expect

from clientledger.db import Database
from tests.factories import Ledger

SESSION_DAY = dt.date(2026, 11, 2)
OWNER_EMAIL = "owner@calmwaters.example"
OWNER_PASSWORD = "owner-pass-1"
SESSION_COOKIE = "clientledger_session"
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
DOC_SCREENSHOTS = ROOT / "docs" / "screenshots"


@dataclass
class LiveServer:
    """The module's running server, its database, and a Ledger on the test practice for seeding."""

    url: str
    db: Database
    ledger: Ledger


def payment_row(page: Page, type_label: str, nth: int = 0) -> Locator:
    """A row of the bill's payments table, named by its type ("Credit Card", "Client Credit/Discount")."""
    table = page.get_by_role("region", name="Payments").get_by_role("table")
    header = page.get_by_role("rowheader", name=type_label, exact=True)
    return table.get_by_role("row").filter(has=header).nth(nth)


def tooltip_values(tooltip: Locator) -> dict[str, str]:
    """The tooltip's label → amount pairs (its <dt>/<dd>), as shown."""
    pairs: list[list[str]] = tooltip.evaluate(
        "t => Array.from(t.querySelectorAll('dt'))"
        ".map(d => [d.textContent.trim(), d.nextElementSibling.textContent.trim()])"
    )
    return dict(pairs)


def open_menu_item(page: Page, row: Locator, item: str) -> Locator:
    """Click the row's "More actions" and choose ``item``; return the dialog it opens."""
    row.get_by_role("button", name="More actions").click()
    page.get_by_role("menuitem", name=item).click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    return dialog


def flash(page: Page) -> Locator:
    return page.get_by_role("status")


def figure(page: Page, label: str) -> Locator:
    """The amount under a label of the figures strip ("Balance due", "Available credit")."""
    return page.locator(
        "dl.figures > div", has=page.locator("dt", has_text=re.compile(f"^{re.escape(label)}$"))
    ).locator("dd")


def save_screenshot(page: Page, name: str, *, publish: bool = False) -> Path:
    """Keep a screenshot in test-artifacts/; ``publish`` also refreshes docs/screenshots/ on request.

    The README's picture changes only when ``CLIENTLEDGER_UPDATE_SCREENSHOTS=1`` is set, so an
    ordinary test run never touches committed files.
    """
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    if publish and os.environ.get("CLIENTLEDGER_UPDATE_SCREENSHOTS") == "1":
        DOC_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, DOC_SCREENSHOTS / f"{name}.png")
    return path
