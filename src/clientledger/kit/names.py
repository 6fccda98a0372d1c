"""How people's names are put in order and found: alphabetically, case and accents aside."""

from __future__ import annotations

import unicodedata


def name_key(text: str) -> str:
    """``text`` folded for ordering and search: "Élise Müller" -> "elise muller", so Élise is listed
    with the E's and "muller", "MÜLLER" or "élise" find her, on every database alike."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
