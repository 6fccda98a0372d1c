"""Money is an ``int`` number of cents everywhere inside clientledger.

Parsing (dollars typed by a person) and formatting (``$1,234.56``) happen only at the edges,
through the two functions here.
"""

from __future__ import annotations

import re

Cents = int

_DOLLARS = re.compile(r"^\s*\$?\s*(?P<whole>\d{1,3}(?:,\d{3})*|\d+)?(?:\.(?P<frac>\d{1,2}))?\s*$")


def parse_dollars(text: str) -> Cents:
    """Parse what a person typed (``30``, ``30.5``, ``$1,234.56``) into cents.

    Raises ``ValueError`` for anything else, including more than two decimals and negatives.
    """
    m = _DOLLARS.match(text)
    if not m or (m.group("whole") is None and m.group("frac") is None):
        raise ValueError(f"not an amount of dollars: {text!r}")
    whole = int((m.group("whole") or "0").replace(",", ""))
    frac = (m.group("frac") or "0").ljust(2, "0")
    return whole * 100 + int(frac)


def format_cents(cents: Cents) -> str:
    """Format cents for people: ``123456`` -> ``$1,234.56``, ``-500`` -> ``-$5.00``."""
    sign = "-" if cents < 0 else ""
    whole, frac = divmod(abs(cents), 100)
    return f"{sign}${whole:,}.{frac:02d}"


def format_x12(cents: Cents) -> str:
    """Cents as an X12 decimal string (``-2000`` -> ``-20.00``, ``0`` -> ``0``), as 835s write them."""
    if cents == 0:
        return "0"
    sign = "-" if cents < 0 else ""
    whole, frac = divmod(abs(cents), 100)
    return f"{sign}{whole}.{frac:02d}"
