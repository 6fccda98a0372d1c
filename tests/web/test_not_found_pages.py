"""An unknown address: a page for a browser, the JSON error shape for the API and for other clients."""

from __future__ import annotations

from fastapi.testclient import TestClient

BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def test_a_browser_at_an_unknown_address_sees_a_not_found_page(http: TestClient) -> None:
    r = http.get("/no-such-page/anywhere", headers={"Accept": BROWSER_ACCEPT})

    assert r.status_code == 404
    assert r.headers["content-type"].startswith("text/html")
    assert "<h1>Not found</h1>" in r.text and "not_found" not in r.text
    assert r.headers["x-content-type-options"] == "nosniff"


def test_unknown_api_paths_and_non_browser_clients_keep_the_json_error(http: TestClient) -> None:
    api = http.get("/api/v1/no-such-thing", headers={"Accept": BROWSER_ACCEPT})
    script = http.get("/no-such-page", headers={"Accept": "application/json"})
    bare = http.get("/no-such-page", headers={"Accept": "*/*"})

    for r in (api, script, bare):
        assert r.status_code == 404
        assert r.json()["error"]["code"] == "not_found"
