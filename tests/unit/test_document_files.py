"""A document loads only its own stylesheet: no address on the network, no other file on the disk."""

from __future__ import annotations

import datetime as dt

import pytest
from starlette.requests import Request

from clientledger.documents import STATIC_DIR
from clientledger.documents.render import StaticOnly, filename
from clientledger.documents.router import wants_pdf


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


@pytest.mark.parametrize(
    ("accept", "pdf"),
    [
        ("application/pdf", True),
        ("text/html, application/pdf", True),
        ("application/pdf, */*", True),
        ("application/json;q=0.5, application/pdf", True),
        ("", False),
        ("*/*", False),
        ("application/json", False),
        ("application/pdf;q=0", False),
        ("application/json, application/pdf;q=0.5", False),
        ("application/pdf;q=oops", False),
    ],
)
def test_a_statement_is_a_pdf_only_when_accept_prefers_it(accept: str, pdf: bool) -> None:
    request = Request({"type": "http", "headers": [(b"accept", accept.encode())]})
    assert wants_pdf(request) is pdf
