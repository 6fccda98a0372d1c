"""Opaque, roughly time-ordered ids: ``bill_01JB...`` (prefix + 26-character ULID-style text).

Time order matters for two things: oldest-lot-first credit and stable list cursors. Within one
process ids are strictly increasing; across processes ties inside one millisecond are random.
"""

from __future__ import annotations

import os
import threading
import time

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_lock = threading.Lock()
_last = 0


def _encode(value: int, length: int) -> str:
    out = []
    for _ in range(length):
        value, rem = divmod(value, 32)
        out.append(_ALPHABET[rem])
    return "".join(reversed(out))


def new_id(prefix: str) -> str:
    global _last
    with _lock:
        candidate = (time.time_ns() // 1_000_000) << 80 | int.from_bytes(os.urandom(10), "big")
        if candidate <= _last:
            candidate = _last + 1
        _last = candidate
    return f"{prefix}_{_encode(candidate, 26)}"
