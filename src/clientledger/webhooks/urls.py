"""Where a webhook may be sent: ``https://`` on a public address, unless the server allows private ones.

Checked twice: when an endpoint is made (so a typo or an internal address is refused with 422), and
before every attempt, on the addresses the name resolves to *then*: a name that later resolves to
``127.0.0.1`` or ``169.254.169.254`` (DNS rebinding) is never connected to. The attempt then
connects to the very address that was checked, naming the host for TLS and in ``Host``.

``CLIENTLEDGER_WEBHOOKS_ALLOW_PRIVATE=true`` (tests, receivers on the practice's own network) also
allows ``http://``, loopback and private addresses.
"""

from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import SplitResult, urlsplit

from clientledger.kit.errors import ValidationFailed

ALLOW_PRIVATE_ENV = "CLIENTLEDGER_WEBHOOKS_ALLOW_PRIVATE"
MAX_URL = 2000

Resolver = Callable[[str, int], list[str]]
"""A host name and port to the IP addresses it resolves to (raises ``OSError`` when it cannot)."""

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def system_resolver(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def is_public(address: IpAddress) -> bool:
    """A globally routable unicast address; IPv6 forms that embed an IPv4 address are judged by it."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is None and address in _NAT64:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None:
            return is_public(embedded)
        if address.teredo is not None or address.scope_id:
            return False
    refused = (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_reserved
        or address.is_multicast
        or address.is_unspecified
    )
    return address.is_global and not refused


def allow_private_from_env() -> bool:
    return os.environ.get(ALLOW_PRIVATE_ENV, "").strip().lower() in ("1", "true", "yes", "on")


@dataclass(frozen=True)
class Target:
    """A checked URL: what to connect to (``address``) and what to name (``host``) for TLS and ``Host``."""

    url: str
    scheme: str
    host: str
    port: int
    address: str
    netloc: str

    @property
    def pinned_url(self) -> str:
        """The URL with the checked address in place of the name (so nothing resolves it again)."""
        parts = urlsplit(self.url)
        shown = f"[{self.address}]" if ":" in self.address else self.address
        return parts._replace(netloc=f"{shown}:{self.port}").geturl()


@dataclass(frozen=True)
class UrlPolicy:
    allow_private: bool = False
    resolver: Resolver = field(default=system_resolver)

    @classmethod
    def from_env(cls, resolver: Resolver | None = None) -> UrlPolicy:
        return cls(allow_private=allow_private_from_env(), resolver=resolver or system_resolver)

    def parse(self, url: str) -> SplitResult:
        """The URL's form alone (no lookup): scheme, host, port; 422 when it is not one we send to."""
        text = url.strip()
        if not text or len(text) > MAX_URL:
            raise ValidationFailed(f"url: give the endpoint's URL, at most {MAX_URL} characters.")
        try:
            parts = urlsplit(text)
            parts.port  # noqa: B018 - raises on a port out of range
        except ValueError:
            raise ValidationFailed(f"url: {text!r} is not a URL.") from None
        schemes = ("https", "http") if self.allow_private else ("https",)
        if parts.scheme not in schemes or not parts.hostname:
            raise ValidationFailed(f"url: the endpoint must be an https:// URL with a host, not {text!r}.")
        if parts.username is not None or parts.password is not None:
            raise ValidationFailed("url: leave credentials out of the URL (the signature authenticates us).")
        if parts.fragment:
            raise ValidationFailed("url: a webhook URL has no #fragment.")
        return parts

    def check(self, url: str) -> Target:
        """The URL's form and the addresses its host resolves to now; 422 when any is not public."""
        parts = self.parse(url)
        host = parts.hostname or ""
        port = parts.port or (443 if parts.scheme == "https" else 80)
        addresses = self._addresses(host, port)
        if not self.allow_private:
            for address in addresses:
                if not is_public(address):
                    raise ValidationFailed(
                        f"url: {host} is at {address}, which is not a public address: webhooks go to public https:// "
                        "endpoints only."
                    )
        netloc = parts.netloc.rsplit("@", 1)[-1]
        return Target(
            url=url.strip(), scheme=parts.scheme, host=host, port=port, address=str(addresses[0]), netloc=netloc
        )

    def _addresses(self, host: str, port: int) -> list[IpAddress]:
        try:
            return [ipaddress.ip_address(host)]
        except ValueError:
            pass
        try:
            found = [ipaddress.ip_address(a.split("%", 1)[0]) for a in self.resolver(host, port)]
        except Exception:  # a name that cannot be looked up, however the resolver says so
            found = []
        if not found:
            raise ValidationFailed(f"url: the host {host!r} cannot be found.")
        return found
