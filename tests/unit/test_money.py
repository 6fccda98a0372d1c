from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clientledger.kit.money import format_cents, parse_dollars


@pytest.mark.parametrize(
    ("text", "cents"),
    [("30", 3000), ("30.00", 3000), ("30.5", 3050), ("$1,234.56", 123456), (".99", 99), ("0", 0)],
)
def test_parse_dollars(text: str, cents: int) -> None:
    assert parse_dollars(text) == cents


@pytest.mark.parametrize("text", ["", "abc", "1.234", "-5", "1,23", "$", "1e3", "10.0.0"])
def test_parse_dollars_refuses_what_is_not_an_amount(text: str) -> None:
    with pytest.raises(ValueError):
        parse_dollars(text)


@given(st.integers(min_value=0, max_value=10**12))
def test_format_then_parse_round_trips(cents: int) -> None:
    assert parse_dollars(format_cents(cents)) == cents


def test_format_cents() -> None:
    assert format_cents(123456) == "$1,234.56"
    assert format_cents(-500) == "-$5.00"
    assert format_cents(7) == "$0.07"
