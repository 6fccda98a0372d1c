"""Finding a client: `GET /clients` sorted by name, `q` matching any part of a name or email, case aside."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from clientledger.db import Database
from tests.api.conftest import Api, new_owner


def _names(page: Any) -> list[str]:
    return [c["name"] for c in page["data"]]


def test_clients_are_listed_by_name_whatever_order_they_were_added_in(owner: Api) -> None:
    for name in ("Zoe Park", "adam Smith", "Maya Lee", "Bea Cho"):
        owner.client(name)

    assert _names(owner.get("/clients")) == ["adam Smith", "Bea Cho", "Maya Lee", "Zoe Park"]


def test_q_finds_a_client_by_any_part_of_the_name_case_aside(owner: Api) -> None:
    owner.client("Harriet Okonkwo")
    owner.client("Omar Haddad")
    owner.client("Lena Fischer")

    assert _names(owner.get("/clients?q=konk")) == ["Harriet Okonkwo"]
    assert _names(owner.get("/clients?q=HAR")) == ["Harriet Okonkwo"]
    assert _names(owner.get("/clients?q=had")) == ["Omar Haddad"]
    assert _names(owner.get("/clients?q=nobody")) == []


def test_letters_beyond_ascii_match_and_sort_case_aside_on_both_databases(owner: Api) -> None:
    for name in ("ÉMILE Zola", "Øystein Berg", "Ana Núñez", "émilie Roy"):
        owner.client(name)

    assert _names(owner.get("/clients?q=%C3%A9mil")) == ["ÉMILE Zola", "émilie Roy"]  # "émil"
    assert _names(owner.get("/clients?q=N%C3%9A%C3%91")) == ["Ana Núñez"]  # "NÚÑ"
    assert _names(owner.get("/clients?q=%C3%B8yst")) == ["Øystein Berg"]  # "øyst"
    assert _names(owner.get("/clients?q=emil")) == ["ÉMILE Zola", "émilie Roy"]  # accents aside too
    assert _names(owner.get("/clients?q=NUNEZ")) == ["Ana Núñez"]
    assert _names(owner.get("/clients")) == ["Ana Núñez", "ÉMILE Zola", "émilie Roy", "Øystein Berg"]


def test_q_finds_a_client_by_part_of_the_email(owner: Api) -> None:
    owner.client("Pat Quinn", email="pq.billing@Riverside.example")
    owner.client("Sam Reyes", email="sam@elsewhere.example")
    owner.client("No Email")

    assert _names(owner.get("/clients?q=riverside")) == ["Pat Quinn"]
    assert _names(owner.get("/clients?q=%40ELSEWHERE")) == ["Sam Reyes"]


def test_percent_underscore_and_backslash_in_q_match_only_themselves(owner: Api) -> None:
    owner.client("Ann 100% Sure")
    owner.client("Ann 1000 Sure")
    owner.client("Bo_Ray")
    owner.client("BoXRay")
    owner.client("Cy\\Dee")
    owner.client("CyDee")

    assert _names(owner.get("/clients?q=100%25")) == ["Ann 100% Sure"]
    assert _names(owner.get("/clients?q=o_r")) == ["Bo_Ray"]
    assert _names(owner.get("/clients?q=y%5CD")) == ["Cy\\Dee"]
    assert _names(owner.get("/clients?q=%25")) == ["Ann 100% Sure"]


def test_pages_follow_the_name_order_with_the_cursor_and_keep_the_search(owner: Api) -> None:
    names = [f"Client {n:02d}" for n in range(7)]
    for name in reversed(names):
        owner.client(name)
    owner.client("Other Person")  # never matches "client"
    owner.client("Client 03")  # a second of the same name: the id orders the two

    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        page = owner.get("/clients?q=client&limit=3" + (f"&cursor={cursor}" if cursor else ""))
        seen += _names(page)
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break

    assert seen == sorted([*names, "Client 03"])
    assert pages == 3
    assert len({c["id"] for c in owner.get("/clients?q=client&limit=200")["data"]}) == 8


def test_limit_is_at_most_200_and_an_unknown_cursor_is_refused(owner: Api) -> None:
    owner.client("Only One")

    assert owner.get("/clients?limit=201", expect=422)["error"]["code"] == "validation_error"
    assert owner.get("/clients?cursor=cl_nobody", expect=422)["error"]["code"] == "validation_error"
    assert owner.get("/clients?q=%00", expect=422)["error"]["code"] == "validation_error"
    assert _names(owner.get("/clients?q=")) == ["Only One"]


def test_another_practices_clients_never_appear(owner: Api, http: TestClient, db: Database) -> None:
    other = new_owner(http, db)
    theirs = other.client("Shared Name Elsewhere", email="shared@example.com")
    owner.client("Shared Name Here")

    assert _names(owner.get("/clients?q=shared")) == ["Shared Name Here"]
    assert owner.get(f"/clients?cursor={theirs['id']}", expect=422)["error"]["code"] == "validation_error"
    assert _names(other.get("/clients")) == ["Shared Name Elsewhere"]
