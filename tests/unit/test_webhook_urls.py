"""Where webhooks may go (public https only, unless private is allowed), and the derived secrets."""

from __future__ import annotations

import ipaddress
import os
import stat
from pathlib import Path

import pytest

from clientledger.kit import secrets
from clientledger.kit.errors import ValidationFailed
from clientledger.webhooks.urls import UrlPolicy, is_public

NAMES = {"good.example": ["93.184.216.34"], "localhost": ["127.0.0.1", "::1"]}
STRICT = UrlPolicy(allow_private=False, resolver=lambda host, port: NAMES[host])
OPEN = UrlPolicy(allow_private=True, resolver=lambda host, port: ["10.0.0.5"])


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.0.0.1",
        "172.16.5.4",
        "192.168.0.1",
        "169.254.169.254",
        "100.64.1.1",
        "0.0.0.0",
        "224.0.0.251",
        "255.255.255.255",
        "240.0.0.1",
        "::1",
        "::",
        "fe80::1",
        "fc00::1",
        "ff02::1",
        "::ffff:10.0.0.1",
        "::ffff:127.0.0.1",
        "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
        "2002:7f00:1::1",  # 6to4 of 127.0.0.1
        "2001:db8::1",  # documentation
    ],
)
def test_private_loopback_link_local_and_reserved_addresses_are_not_public(address: str) -> None:
    assert not is_public(ipaddress.ip_address(address))


@pytest.mark.parametrize(
    "address", ["93.184.216.34", "8.8.8.8", "2606:2800:220:1:248:1893:25c8:1946", "::ffff:8.8.8.8"]
)
def test_public_addresses_are(address: str) -> None:
    assert is_public(ipaddress.ip_address(address))


def test_a_checked_target_connects_to_the_checked_address_and_names_the_host() -> None:
    target = STRICT.check("https://good.example:8443/in?x=1")
    assert target.address == "93.184.216.34" and target.host == "good.example"
    assert target.pinned_url == "https://93.184.216.34:8443/in?x=1" and target.netloc == "good.example:8443"
    six = OPEN.check("http://[::1]:8080/x")
    assert six.pinned_url == "http://[::1]:8080/x"


def test_http_and_private_names_are_refused_unless_allowed() -> None:
    for url in ("http://good.example/in", "https://localhost/in", "https://10.0.0.5/in"):
        with pytest.raises(ValidationFailed):
            STRICT.check(url)
    assert OPEN.check("http://intranet.local/in").address == "10.0.0.5"


def test_the_secret_is_derived_from_the_server_key_and_the_endpoint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(secrets.KEY_ENV, "k" * 40)
    one = secrets.endpoint_secret("prc_1", "whe_1")
    assert one == secrets.endpoint_secret("prc_1", "whe_1") and one.startswith("whsec_") and "=" not in one
    assert one != secrets.endpoint_secret("prc_2", "whe_1") != secrets.endpoint_secret("prc_1", "whe_2")
    monkeypatch.setenv(secrets.KEY_ENV, "m" * 40)
    assert secrets.endpoint_secret("prc_1", "whe_1") != one


def test_without_a_key_in_the_environment_a_key_file_is_made_once_readable_by_its_owner_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "server.key"
    monkeypatch.delenv(secrets.KEY_ENV)
    monkeypatch.setenv(secrets.KEY_FILE_ENV, str(path))

    first = secrets.endpoint_secret("prc_1", "whe_1")
    secrets._cache.clear()  # as another process would start: it reads the same file
    assert secrets.endpoint_secret("prc_1", "whe_1") == first
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["server.key"]  # no candidate left behind


def test_a_key_file_made_by_another_process_first_is_the_one_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "server.key"
    monkeypatch.delenv(secrets.KEY_ENV)
    monkeypatch.setenv(secrets.KEY_FILE_ENV, str(path))
    path.write_text("a" * 64 + "\n")
    secrets._create_key_file(path)  # lost the race: keeps the winner's key
    assert path.read_text().strip() == "a" * 64
    assert secrets.server_key() == b"a" * 64
