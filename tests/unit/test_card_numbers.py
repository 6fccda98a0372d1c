"""Spotting a card number in free text: what the API edge and the web forms refuse.

These tests prove that card numbers are refused, so they are among the few places one is written.
"""

from __future__ import annotations

import pytest

from clientledger.kit.cards import any_card_number, contains_card_number, luhn_valid


@pytest.mark.parametrize(
    "text",
    [
        "4242 4242 4242 4242",
        "4242-4242-4242-4242",
        "4242424242424242",
        "378282246310005",
        "3782 822463 10005",
        "card: 5555555555554444, exp 12/34",
        "ref 12 4242 4242 4242 4242",
        "4242 4242 4242 4242 99",
        "6011111111111117",
    ],
)
def test_a_card_number_is_found_however_it_is_written(text: str) -> None:
    assert contains_card_number(text)


@pytest.mark.parametrize(
    "text",
    [
        "4242424242424241",  # 16 digits, fails the Luhn check
        "4242 4242 4242 4241",
        "Call 555-123-4567",
        "+1 (555) 123-4567",
        "2026-11-02",
        "Session on 2026-11-02 at 10:30, $150.00",
        "NPI 1234567893, tax id 12-3456789",
        "123456789012",  # 12 digits: too short
        "12345678901234567890123",  # 23 digits in one run: too long to be a card
        "pm_card_visa",
        "",
    ],
)
def test_numbers_that_are_not_card_numbers_are_left_alone(text: str) -> None:
    assert not contains_card_number(text)


def test_any_card_number_looks_in_every_value_and_key() -> None:
    assert any_card_number({"memo": "ok", "lines": [{"note": "4242 4242 4242 4242"}]})
    assert any_card_number({"4242424242424242": 1})
    assert any_card_number([4242424242424242])
    assert not any_card_number({"amount": 15000, "paid": True, "note": None, "ids": ["bill_01"]})


@pytest.mark.parametrize(
    ("digits", "valid"), [("4242424242424242", True), ("378282246310005", True), ("4242424242424241", False)]
)
def test_luhn_check(digits: str, valid: bool) -> None:
    assert luhn_valid(digits) is valid


def test_a_forms_random_guard_values_are_not_read_as_card_numbers() -> None:
    from clientledger.api.edge import carries_card_number

    guard = "csrf_token=4242-4242-4242-4242&nonce=4242-4242-4242-4242&amount=30"
    assert not carries_card_number(guard.encode(), "application/x-www-form-urlencoded")
    assert carries_card_number(b"memo=4242-4242-4242-4242", "application/x-www-form-urlencoded")
