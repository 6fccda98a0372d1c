"""The HTTP edge: bodies above their limit are 413 unread, a request without a token is 401 unread,
every response refuses framing and sniffing, and an 835 upload that posts nothing is audited."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from starlette.routing import Match
from starlette.types import Message

from clientledger.api.edge import RouteIndex
from clientledger.db import Database
from tests.api.conftest import API, Api, ledger_problems
from tests.factories import Ledger, an_insured_bill
from tests.support.era_generate import generate_835

FIXTURES = Path(__file__).parents[1] / "fixtures" / "era"
MIB = 1024 * 1024
CHUNK = 64 * 1024


# -- driving the ASGI app with a body that is counted as it is read ----------------------------------------
class Sent:
    """What the app answered, and how many chunks of the body it pulled."""

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.chunks_read = 0

    @property
    def status(self) -> int:
        return int(self.messages[0]["status"])

    @property
    def headers(self) -> dict[str, str]:
        return {k.decode(): v.decode() for k, v in self.messages[0]["headers"]}

    @property
    def body(self) -> bytes:
        return b"".join(m.get("body", b"") for m in self.messages[1:])


def drive(app: FastAPI, method: str, path: str, headers: dict[str, str], *, chunks: int) -> Sent:
    """Send ``chunks`` chunks of 64 KiB (no Content-Length: chunked) and record what the app read."""
    sent = Sent()

    async def receive() -> Message:
        sent.chunks_read += 1
        if sent.chunks_read > chunks:
            return {"type": "http.disconnect"}
        return {"type": "http.request", "body": b"x" * CHUNK, "more_body": sent.chunks_read < chunks}

    async def send(message: Message) -> None:
        sent.messages.append(message)

    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(k.lower().encode(), v.encode()) for k, v in {"transfer-encoding": "chunked", **headers}.items()],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }
    asyncio.run(app(scope, receive, send))
    return sent


def audit(api: Api) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = api.get("/audit?limit=200")["data"]
    return events


def test_an_api_request_without_a_valid_token_is_401_before_its_body_is_read(app: FastAPI, owner: Api) -> None:
    # 40 chunks (2.5 MiB): read whole, as before, this would be a 413 or a 422, never a 401.
    missing = drive(app, "POST", f"{API}/clients", {"content-type": "application/json"}, chunks=40)
    wrong = drive(app, "POST", f"{API}/clients", {"authorization": "Bearer not-a-token"}, chunks=40)
    upload = drive(app, "POST", f"{API}/era-imports", {"authorization": "Basic eDp5"}, chunks=40)

    for sent in (missing, wrong, upload):
        assert sent.status == 401 and sent.chunks_read == 0
        assert b'"code":"unauthorized"' in sent.body
    assert owner.get("/clients")["data"] == []


def test_a_streamed_body_is_refused_with_413_as_soon_as_it_passes_1_mib(app: FastAPI, owner: Api) -> None:
    token = {"authorization": f"Bearer {owner.token}", "content-type": "application/json"}

    sent = drive(app, "POST", f"{API}/clients", token, chunks=400)  # 25 MiB offered

    assert sent.status == 413
    assert b'"code":"payload_too_large"' in sent.body and b"1 MiB" in sent.body
    assert sent.chunks_read <= MIB // CHUNK + 1  # read no further than the chunk that passed the limit
    assert sent.headers["x-content-type-options"] == "nosniff"
    assert owner.get("/clients")["data"] == []


def test_a_content_length_above_the_limit_is_413_at_once_and_writes_nothing(owner: Api) -> None:
    body = b'{"name": "' + b"A" * (MIB + 1) + b'"}'
    before = audit(owner)

    r = owner.http.post(f"{API}/clients", content=body, headers={**owner.headers(), "Content-Type": "application/json"})
    no_token = owner.http.post(f"{API}/clients", content=body, headers={"Content-Type": "application/json"})

    for answer in (r, no_token):
        assert answer.status_code == 413
        assert answer.json() == {
            "error": {"code": "payload_too_large", "message": "The request body is larger than 1 MiB."}
        }
    assert owner.get("/clients")["data"] == [] and audit(owner) == before
    small = owner.http.post(f"{API}/clients", json={"name": "B" * 200}, headers=owner.headers())
    assert small.status_code == 201


def _padded_835(size: int, *, trace: str) -> bytes:
    """A valid 835 of 30 claims, one segment a line, stretched past ``size`` bytes with blank lines."""
    content = generate_835(n_claims=30, trace=trace)
    per_segment = -(-(size - len(content)) // (2 * content.count("~")))
    return content.replace("~", "~" + "\r\n" * per_segment).encode()


def test_an_835_of_2_mib_is_imported_and_one_of_26_mib_is_413(owner: Api, db: Database) -> None:
    two = _padded_835(2 * MIB, trace="EDGE-2MIB")
    big = b"ISA*" + b"\n" * (26 * MIB)

    accepted = owner.http.post(f"{API}/era-imports", files={"file": ("r.835", two)}, headers=owner.headers())
    refused = owner.http.post(f"{API}/era-imports", files={"file": ("r.835", big)}, headers=owner.headers())

    assert len(two) >= 2 * MIB and accepted.status_code == 201, accepted.text
    assert accepted.json()["totals"]["claims"] == 30
    assert refused.status_code == 413 and refused.json()["error"]["code"] == "payload_too_large"
    assert "25 MiB" in refused.json()["error"]["message"]
    assert [e["action"] for e in audit(owner)].count("era_import.received") == 1
    assert ledger_problems(db) == []


def _secured(headers: Any, where: str) -> None:
    assert headers.get("x-content-type-options") == "nosniff", where
    assert headers.get("x-frame-options") == "DENY", where
    assert "frame-ancestors 'none'" in headers.get("content-security-policy", ""), where


def test_every_kind_of_response_refuses_framing_and_sniffing(owner: Api) -> None:
    http = owner.http
    answers = {
        "docs": http.get("/docs"),
        "openapi": http.get("/openapi.json"),
        "login page": http.get("/login"),
        "static": http.get("/static/app.css"),
        "redirect": http.get("/", follow_redirects=False),
        "page 404": http.get("/no-such-page", headers={"Accept": "text/html"}),
        "api 404": http.get(f"{API}/no-such-thing", headers=owner.headers()),
        "api 401": http.get(f"{API}/clients"),
        "api 422": http.post(f"{API}/clients", json={}, headers=owner.headers()),
        "api 201": http.post(f"{API}/clients", json={"name": "Framed"}, headers=owner.headers()),
        "healthz": http.get(f"{API}/healthz"),
        "413": http.post(f"{API}/clients", content=b"x" * (MIB + 1), headers=owner.headers()),
    }

    assert [r.status_code for r in answers.values()] == [200, 200, 200, 200, 303, 404, 404, 401, 422, 201, 200, 413]
    for where, r in answers.items():
        _secured(r.headers, where)
    docs_csp = answers["docs"].headers["content-security-policy"]
    assert "default-src" not in docs_csp and "script-src" not in docs_csp  # Swagger UI's assets still load
    assert "swagger-ui" in answers["docs"].text
    assert "default-src 'self'" in answers["login page"].headers["content-security-policy"]


def test_an_835_upload_that_posts_nothing_is_on_the_audit_trail(owner: Api, ledger: Ledger, db: Database) -> None:
    an_insured_bill(ledger, fee=15000, claim_ref="CLM-1006", copay_paid_by="card")
    content = (FIXTURES / "unmatched_claim.835").read_bytes()
    first = owner.http.post(f"{API}/era-imports", files={"file": ("r.835", content)}, headers=owner.headers())
    before = {e["id"] for e in audit(owner)}

    again = owner.http.post(f"{API}/era-imports", files={"file": ("r.835", content)}, headers=owner.headers())
    malformed = owner.http.post(
        f"{API}/era-imports",
        files={"file": ("r.835", (FIXTURES / "malformed.835").read_bytes())},
        headers=owner.headers(),
    )

    assert first.status_code == again.status_code == 201 and malformed.status_code == 422
    assert [c["result"] for c in again.json()["claims"]] == ["unmatched", "duplicate"]
    new = [e for e in audit(owner) if e["id"] not in before]
    refused, received = new  # newest first
    assert received["action"] == "era_import.received" and received["object_ids"] == [again.json()["id"]]
    assert received["detail"]["claims"] == 2 and received["detail"]["duplicate"] == 1
    assert received["detail"]["unmatched"] == 1
    assert received["detail"]["posted"] == 0
    assert refused["action"] == "era_import.refused" and "ISA header is damaged" in refused["detail"]["reason"]
    assert refused["user_id"] == received["user_id"] is not None  # the uploader
    assert ledger_problems(db) == []


def test_the_edge_route_index_answers_as_every_route_would(app: FastAPI) -> None:
    """Which requests need a token is worked out once from the routes: the same answer as asking each route."""
    routes = app.router.routes
    index = RouteIndex(routes, API)
    paths = {"/api/v1", "/api/v1/", "/api/v1/nowhere", "/api/v1/bills/", "/api/v1/bills\n", "/api/v1/bills/b1/x/y"}
    for path in app.openapi()["paths"]:
        if path.startswith(API):
            filled = re.sub(r"\{[^}]+\}", "x1", path)
            paths |= {filled, filled + "/", filled + "/extra", filled.replace("x1", "x1/x2", 1)}
    assert len(paths) > 50
    for path in sorted(paths):
        for method in ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"):
            scope: dict[str, Any] = {"type": "http", "path": path, "method": method, "root_path": "", "headers": []}
            expected = any(route.matches(scope)[0] is Match.FULL for route in routes)
            assert index.serves(scope, path, method) is expected, (method, path)
