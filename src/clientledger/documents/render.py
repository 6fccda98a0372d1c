"""Documents as PDF files: a document body's template in the bare layout, printed by WeasyPrint.

The bodies are the same templates the web pages include, so a PDF and its page cannot differ. A
document fetches nothing from the network: the only files it may load are this package's static
files (its stylesheet); anything else is refused.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from jinja2 import Environment, FileSystemLoader, select_autoescape
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

from clientledger.documents import STATIC_DIR, TEMPLATES_DIR
from clientledger.documents.schemas import Receipt, StatementDocument, Superbill
from clientledger.kit.money import format_cents

PDF = "application/pdf"
LAYOUT = "documents/layout.html"
STATEMENT = "documents/statement.html"
RECEIPT = "documents/receipt.html"
SUPERBILL = "documents/superbill.html"


def money(cents: int | None) -> str:
    return "" if cents is None else format_cents(cents)


def install_filters(env: Environment) -> None:
    """What the document bodies use, in whichever environment renders them (the web UI's too)."""
    env.filters["money"] = money


_env = Environment(loader=FileSystemLoader(TEMPLATES_DIR), autoescape=select_autoescape(default=True))
install_filters(_env)


class StaticOnly(URLFetcher):  # type: ignore[misc]
    """Serves this package's static files and refuses every other address (no network, no other file)."""

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        parts = urlsplit(url)
        path = Path(unquote(parts.path)).resolve() if parts.scheme == "file" else None
        if path is None or not path.is_relative_to(STATIC_DIR) or not path.is_file():
            raise ValueError(f"a document loads only its own static files, not {url!r}")
        kind = "text/css" if path.suffix == ".css" else "application/octet-stream"
        return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": kind})


def pdf(body: str, *, title: str, **values: Any) -> bytes:
    """The body template ``body`` with ``values``, in the bare layout, as PDF bytes."""
    html = _env.get_template(LAYOUT).render(body=body, title=title, **values)
    document = HTML(string=html, base_url=STATIC_DIR.as_uri() + "/", url_fetcher=StaticOnly())
    data: bytes = document.write_pdf()
    return data


@dataclass(frozen=True, slots=True)
class PdfFile:
    """A document as a file to download: its bytes and its name (the same on the API and the pages)."""

    data: bytes
    name: str


def statement_pdf(doc: StatementDocument) -> PdfFile:
    s = doc.statement
    data = pdf(STATEMENT, title=f"Statement · {doc.client.name}", doc=doc, statement=s)
    return PdfFile(data, filename("statement", doc.client.name, s.from_, s.to))


def receipt_pdf(receipt: Receipt) -> PdfFile:
    data = pdf(RECEIPT, title=f"Receipt · {receipt.client.name}", receipt=receipt)
    return PdfFile(data, filename("receipt", receipt.client.name, receipt.date))


def superbill_pdf(superbill: Superbill) -> PdfFile:
    data = pdf(SUPERBILL, title=f"Superbill · {superbill.client.name}", superbill=superbill)
    return PdfFile(data, filename("superbill", superbill.client.name, superbill.start, superbill.end))


def filename(kind: str, name: str, *days: dt.date) -> str:
    """``statement-ada-lovelace-2026-11-01-2026-11-30.pdf``: safe in a Content-Disposition header."""
    slug = "".join(c if c.isascii() and c.isalnum() else "-" for c in name.lower()).strip("-")
    slug = "-".join(part for part in slug.split("-") if part) or "client"
    return "-".join([kind, slug[:40], *(d.isoformat() for d in days)]) + ".pdf"


def attachment(name: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{name}"'}
