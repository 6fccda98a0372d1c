"""The server's key, and the secrets derived from it (a webhook endpoint's signing secret).

"Secrets and tokens are stored hashed or not at all": a signing secret is never stored. It is
``whsec_`` + urlsafe-base64 (unpadded) of HMAC-SHA256(server key, ``webhook-endpoint:{practice}:{id}``),
so the server re-derives it for every delivery, and a copy of the database alone signs nothing.

The key is ``CLIENTLEDGER_SECRET_KEY`` when set (its UTF-8 bytes); otherwise the key file
(``CLIENTLEDGER_SECRET_KEY_FILE``, default ``./clientledger-secret.key``), made on first use with
mode 0600. Several worker processes may start at once: each writes a candidate to a file of its own
(``O_EXCL``) and hard-links it into place, which only one can do, so all of them read the same key.
Losing the key changes every endpoint's secret (receivers must then be given the new ones).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import os
import secrets
from pathlib import Path

KEY_ENV = "CLIENTLEDGER_SECRET_KEY"
KEY_FILE_ENV = "CLIENTLEDGER_SECRET_KEY_FILE"
DEFAULT_KEY_FILE = "clientledger-secret.key"
SECRET_PREFIX = "whsec_"
_MIN_KEY_CHARS = 32

_cache: dict[tuple[str | None, str], bytes] = {}


def server_key() -> bytes:
    """The key every derived secret comes from (read once per process and setting)."""
    env = os.environ.get(KEY_ENV) or None
    path = os.environ.get(KEY_FILE_ENV) or DEFAULT_KEY_FILE
    cached = _cache.get((env, path))
    if cached is None:
        cached = env.encode() if env is not None else _key_from_file(Path(path))
        _cache[(env, path)] = cached
    return cached


def _key_from_file(path: Path) -> bytes:
    if not path.exists():
        _create_key_file(path)
    key = path.read_text(encoding="ascii").strip()
    if len(key) < _MIN_KEY_CHARS:
        raise RuntimeError(f"the key file {path} holds no usable key ({len(key)} characters): fix or remove it")
    return key.encode()


def _create_key_file(path: Path) -> None:
    """Write a new key beside ``path`` and link it into place: whoever links first wins, atomically."""
    candidate = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as out:
            out.write(secrets.token_hex(32) + "\n")
            out.flush()
            os.fsync(out.fileno())
        with contextlib.suppress(FileExistsError):  # another process made it first: use theirs
            os.link(candidate, path)
    finally:
        candidate.unlink(missing_ok=True)


def endpoint_secret(practice_id: str, endpoint_id: str) -> str:
    """The signing secret of a webhook endpoint: derived, never stored."""
    message = f"webhook-endpoint:{practice_id}:{endpoint_id}".encode()
    digest = hmac.new(server_key(), message, hashlib.sha256).digest()
    return SECRET_PREFIX + base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


def signature_header(secret: str, timestamp: int, body: bytes) -> str:
    """``t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">``, keyed with the secret's UTF-8 bytes."""
    signed = str(timestamp).encode() + b"." + body
    return f"t={timestamp},v1={hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()}"
