"""A document loads only its own stylesheet: no address on the network, no other file on the disk."""

from __future__ import annotations

import datetime as dt

import pytest

from clientledger.documents import STATIC_DIR
from clientledger.documents.render import StaticOnly, filename


def test_a_document_fetches_its_stylesheet_and_nothing_else() -> None:
    fetcher = StaticOnly()

    css = fetcher.fetch((STATIC_DIR / "document.css").as_uri())

    assert b"@page" in css.read() and css.content_type == "text/css"
    for url in (
        "https://example.com/tracker.css",
        "http://127.0.0.1:8000/static/app.css",
        "file:///etc/passwd",
        (STATIC_DIR / ".." / "render.py").as_uri(),
        "data:text/css,body{}",
    ):
        with pytest.raises(ValueError):
            fetcher.fetch(url)


def test_a_file_name_is_safe_in_a_header_whatever_the_client_is_called() -> None:
    day = dt.date(2026, 11, 2)

    assert filename("statement", "Ada Lovelace", day, day) == "statement-ada-lovelace-2026-11-02-2026-11-02.pdf"
    assert filename("receipt", 'Zoë "O\'Brien"; rm', day) == "receipt-zo-o-brien-rm-2026-11-02.pdf"
    assert filename("superbill", "李雷", day) == "superbill-client-2026-11-02.pdf"
