"""The SSRF guard judges the IPv4 address hidden inside an IPv6 literal, not just the IPv6."""

from __future__ import annotations

import ipaddress

import pytest

from oms.core.destinations import DestinationRefused, is_public, resolve_destination

# (address, public?): every IPv6 form that embeds an IPv4 address, with a non-public and a
# public IPv4 inside where the form can be public at all.
CASES = [
    # 6to4 2002::/16: the IPv4 address is bits 16..48
    ("2002:7f00:1::", False),  # 127.0.0.1
    ("2002:a00:1::1", False),  # 10.0.0.1
    ("2002:c0a8:101::", False),  # 192.168.1.1
    ("2002:a9fe:a9fe::", False),  # 169.254.169.254, the cloud metadata address
    ("2002:808:808::1", True),  # 8.8.8.8
    # NAT64 well-known prefix 64:ff9b::/96 and local-use 64:ff9b:1::/48
    ("64:ff9b::7f00:1", False),
    ("64:ff9b::a9fe:a9fe", False),
    ("64:ff9b:1::7f00:1", False),
    ("64:ff9b:1::808:808", False),  # local-use: translated inside a site, never public
    # Teredo 2001::/32: server and (obfuscated) client address
    ("2001:0:4136:e378:8000:63bf:80ff:fffe", False),  # client 127.0.0.1
    ("2001:0:7f00:1::", False),  # server 127.0.0.1
    # IPv4-mapped ::ffff:0:0/96
    ("::ffff:127.0.0.1", False),
    ("::ffff:10.1.2.3", False),
    ("::ffff:8.8.8.8", True),
    # IPv4-compatible ::/96 (deprecated)
    ("::127.0.0.1", False),
    ("::10.0.0.1", False),
    ("::a9fe:a9fe", False),
    # plain addresses, for contrast
    ("127.0.0.1", False),
    ("::1", False),
    ("fd00::1", False),
    ("8.8.8.8", True),
    ("2606:4700:4700::1111", True),
]


@pytest.mark.parametrize(("address", "public"), CASES)
def test_ipv6_forms_embedding_ipv4_are_judged_by_the_ipv4_inside(
    address: str, public: bool
) -> None:
    assert is_public(ipaddress.ip_address(address)) is public


@pytest.mark.parametrize("address", [a for a, public in CASES if not public and ":" in a])
def test_a_webhook_url_with_such_a_literal_is_refused(address: str) -> None:
    with pytest.raises(DestinationRefused):
        resolve_destination(f"http://[{address}]/hook", allow_private=False)
