"""Spotting a card number in what people type, so that none is ever received, stored or logged.

clientledger takes cards only as the processor's payment methods; a card number typed into a memo,
a note or a name must be refused before anything is recorded. A card number here is what the
contract says: a run of 13 to 19 digits, with spaces or dashes between them allowed, that passes
the Luhn check. Digits grouped by separators are tried group by group too, so a number followed or
preceded by other digits (a reference number, then the card) is still found, while phone numbers,
dates and amounts, shorter than 13 digits, never are. The number itself is never returned.
"""

from __future__ import annotations

import re

REFUSED_MESSAGE = (
    "This request carries what looks like a card number. clientledger never takes card numbers: "
    "add the card through the card form (it goes to the card processor), and leave card numbers "
    "out of notes and memos. Nothing was changed."
)
"""What a request refused for a card number is told: never the number itself."""

MIN_DIGITS = 13
MAX_DIGITS = 19

# Digits, with up to two spaces or dashes between any two of them ("4242 4242", "4242 - 4242").
_RUN = re.compile(r"[0-9](?:[ \-]{0,2}[0-9])*")
_SEPARATORS = re.compile(r"[ \-]+")


def luhn_valid(digits: str) -> bool:
    """The checksum every card number carries."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = ord(char) - 48
        if position % 2:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def contains_card_number(text: str) -> bool:
    """Whether ``text`` holds something that would be a card number."""
    for match in _RUN.finditer(text):
        run = match.group()
        if sum(c.isdigit() for c in run) < MIN_DIGITS:
            continue
        groups = _SEPARATORS.split(run)
        for start in range(len(groups)):
            digits = ""
            for group in groups[start:]:
                digits += group
                if len(digits) > MAX_DIGITS:
                    break
                if len(digits) >= MIN_DIGITS and luhn_valid(digits):
                    return True
    return False


def any_card_number(values: object) -> bool:
    """Whether any text in a JSON-like value (strings, numbers, lists, dicts and their keys) holds one."""
    if isinstance(values, str):
        return contains_card_number(values)
    if isinstance(values, bool) or values is None:
        return False
    if isinstance(values, int | float):
        return contains_card_number(str(values))
    if isinstance(values, dict):
        return any(any_card_number(k) or any_card_number(v) for k, v in values.items())
    if isinstance(values, list | tuple):
        return any(any_card_number(v) for v in values)
    return False


UNCHECKED_FORM_FIELDS = frozenset({"csrf_token", "nonce"})
"""A form's random guard values (URL-safe tokens, where ``-`` may join digits) are no one's text."""
