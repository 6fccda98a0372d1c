"""The client list's search box: a plain GET form without JavaScript, the results table alone for htmx."""

from __future__ import annotations

import re

from tests.web.desk import Desk


def _listed(html: str) -> list[str]:
    return re.findall(r'<th scope="row"><a href="/clients/[^"]+">([^<]+)</a></th>', html)


def test_the_search_box_is_a_labelled_get_form_that_filters_and_keeps_the_text(desk: Desk) -> None:
    desk.ledger.client("Harriet Okonkwo")
    desk.ledger.client("Omar Haddad")

    page = desk.page("/clients?q=konk")

    assert '<form class="search" method="get" action="/clients"' in page
    assert re.search(r'<label for="client-search">Search clients</label>', page)
    assert re.search(r'<input id="client-search" type="search" name="q" value="konk"', page)
    assert 'hx-trigger="input changed delay:250ms, search"' in page
    assert _listed(page) == ["Harriet Okonkwo"]


def test_an_htmx_search_gets_only_the_results_table(desk: Desk) -> None:
    desk.ledger.client("Lena Fischer", email="lena@fischer.example")
    desk.ledger.client("Omar Haddad")

    r = desk.get("/clients?q=FISCHER.ex", htmx=True)

    assert r.status_code == 200
    assert "<html" not in r.text and "Search clients" not in r.text
    assert _listed(r.text) == ["Lena Fischer"]


def test_a_search_that_finds_nobody_says_so(desk: Desk) -> None:
    desk.ledger.client("Omar Haddad")

    page = desk.page("/clients?q=zz%25top")

    assert _listed(page) == []
    assert "No clients match “zz%top”." in page


def test_the_list_pages_by_name_and_next_keeps_the_search(desk: Desk) -> None:
    for n in range(52):
        desk.ledger.client(f"Paged {n:02d}")
    desk.ledger.client("Unrelated Person")

    first = desk.page("/clients?q=paged")
    link = re.search(r'<a href="(/clients\?q=paged&amp;cursor=[^"]+)">Next</a>', first)
    assert link is not None
    second = desk.page(link.group(1).replace("&amp;", "&"))

    assert _listed(first) == [f"Paged {n:02d}" for n in range(50)]
    assert _listed(second) == ["Paged 50", "Paged 51"]
    assert ">Next</a>" not in second and 'value="paged"' in second
