"""The OpenAPI document is the contract's machine-readable half: complete, errors declared."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi import FastAPI

API_MD = Path(__file__).resolve().parents[3] / "shared" / "API.md"
INSURANCE = {("POST", "/api/v1/bills/{}/insurance-payments"), ("POST", "/api/v1/era-imports")}


def _operations(app: FastAPI) -> list[tuple[str, str, dict[str, object]]]:
    return [
        (m.upper(), p, op)
        for p, ops in app.openapi()["paths"].items()
        if p.startswith("/api/v1")
        for m, op in ops.items()
    ]


def test_every_error_response_is_declared_with_the_error_shape(app: FastAPI) -> None:
    for method, path, op in _operations(app):
        responses: dict[str, dict[str, object]] = op["responses"]  # type: ignore[assignment]
        errors = {int(s) for s in responses if s.startswith(("4", "5"))}
        if path.endswith("/healthz"):
            continue
        if path.endswith("/auth/tokens") and method == "POST":
            assert {401, 413, 422, 429} <= errors
            continue
        if path.startswith("/api/v1/webhooks/"):  # no token, no role: the signature is checked (400)
            assert errors == {400, 413}, (method, path)
            continue
        assert {401, 413, 422} <= errors, (method, path)
        if method != "GET" and not path.endswith("/auth/tokens/current"):
            assert 403 in errors, (method, path)
        if "{" in path:
            assert 404 in errors, (method, path)
        for status in errors:
            schema = responses[str(status)]["content"]["application/json"]["schema"]  # type: ignore[index]
            assert schema == {"$ref": "#/components/schemas/ErrorResponse"}, (method, path, status)


def test_money_requests_take_an_idempotency_key(app: FastAPI) -> None:
    money = [(m, p, op) for m, p, op in _operations(app) if m in ("POST", "DELETE") and "/auth/" not in p]
    money = [x for x in money if not x[1].endswith("/users")]
    money = [x for x in money if "/webhooks/" not in x[1]]  # a processor's event is idempotent by its own id
    assert len(money) >= 10
    for method, path, op in money:
        headers = {p["name"].lower() for p in op.get("parameters", []) if p["in"] == "header"}  # type: ignore[attr-defined]
        assert "idempotency-key" in headers, (method, path)


def test_every_v1_endpoint_of_api_md_is_served(app: FastAPI) -> None:
    """v1.1 endpoints arrive issue by issue (``../shared/bin/contract-paths`` lists what is left)."""
    if not API_MD.exists():
        return
    v1 = API_MD.read_text().split("## v1.1 additions")[0]
    listed = set()
    for methods, path in re.findall(r"`((?:GET|POST|PATCH|DELETE)(?:, (?:GET|POST|PATCH|DELETE))*) (/[^`\s]*)`", v1):
        for method in methods.split(", "):
            listed.add((method, "/api/v1" + re.sub(r"\{[^}]*\}", "{}", path)))
    listed |= {("PATCH", "/api/v1/practice")}
    served = {(m, re.sub(r"\{[^}]*\}", "{}", p)) for m, p, _ in _operations(app)}
    assert listed >= INSURANCE
    assert listed - served == set()
