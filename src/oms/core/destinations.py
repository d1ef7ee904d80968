"""SSRF guard: where oms may send webhooks and alert robots' messages.

A destination is refused when any address its host resolves to is private, loopback,
link-local, multicast, reserved, unspecified or otherwise not globally routable, unless
``OMS_WEBHOOK_ALLOW_PRIVATE_NETWORKS=1``. It is checked when the URL is saved and again
before every request (DNS may change); the request is then sent to the address that was
checked (the Host header and TLS SNI keep the name), so a second lookup cannot swap it.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit, urlunsplit

import httpx

from oms.core.errors import AppError

__all__ = [
    "Destination",
    "DestinationRefused",
    "check_url",
    "is_public",
    "post_pinned",
    "resolve_destination",
]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
_DEFAULT_PORTS = {"http": 80, "https": 443}


class DestinationRefused(AppError):
    """Webhooks and alert robots alike: an outbound URL that points inside the network."""

    code = "ERR_WEBHOOK_DESTINATION_REFUSED"
    http_status = 422
    title = "The destination URL is not allowed"


@dataclass(frozen=True, slots=True)
class Destination:
    """A checked URL and the address to connect to."""

    url: str
    host: str
    address: str

    @property
    def pinned_url(self) -> str:
        """The URL with its host replaced by the checked address."""
        parts = urlsplit(self.url)
        host = f"[{self.address}]" if ":" in self.address else self.address
        netloc = host if parts.port is None else f"{host}:{parts.port}"
        return urlunsplit(parts._replace(netloc=netloc))

    @property
    def host_header(self) -> str:
        parts = urlsplit(self.url)
        return self.host if parts.port is None else f"{self.host}:{parts.port}"


def check_url(url: str) -> SplitResult:
    """Parse an http(s) URL with a host and no credentials.

    Raises: ERR_WEBHOOK_DESTINATION_REFUSED.
    """
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise DestinationRefused(f"not a valid URL: {exc}") from None
    if parts.scheme not in _DEFAULT_PORTS or not parts.hostname:
        raise DestinationRefused("the URL must be http:// or https:// with a host")
    if parts.username or parts.password:
        raise DestinationRefused("the URL must not carry credentials")
    if port == 0:
        raise DestinationRefused("the URL has no usable port")
    return parts


def resolve_destination(url: str, *, allow_private: bool) -> Destination:
    """Check ``url`` and resolve its host to an allowed address.

    Raises: ERR_WEBHOOK_DESTINATION_REFUSED (bad URL, unresolvable host, or a host with any
    non-public address while private networks are not allowed).
    """
    parts = check_url(url)
    host = parts.hostname or ""
    addresses = _resolve(host, parts.port or _DEFAULT_PORTS[parts.scheme])
    if not allow_private:
        refused = [str(a) for a in addresses if not is_public(a)]
        if refused:
            raise DestinationRefused(
                "the destination resolves to a private or reserved address",
                host=host,
                addresses=refused,
            )
    return Destination(url=url.strip(), host=host, address=str(addresses[0]))


def is_public(address: IPAddress) -> bool:
    """True for a globally routable unicast address.

    An IPv6 address that carries an IPv4 address (IPv4-mapped, IPv4-compatible, 6to4, NAT64,
    Teredo) reaches that IPv4 host through a relay or the kernel, so every IPv4 address it
    embeds must be public too: ``http://[2002:7f00:1::]/`` is 127.0.0.1 in disguise.
    """
    if isinstance(address, ipaddress.IPv6Address):
        if address in _NAT64_LOCAL:
            return False  # RFC 8215 local-use prefix: translated inside the site, never public
        embedded = _embedded_ipv4(address)
        if not all(_is_public_one(v4) for v4 in embedded):
            return False
        if address.ipv4_mapped is not None:
            return True  # judged as the IPv4 address it is
    return _is_public_one(address)


# IPv6 ranges that embed an IPv4 address in their last 32 bits (RFC 4291, RFC 6052).
_V4_COMPATIBLE = ipaddress.IPv6Network("::/96")
_NAT64_WELL_KNOWN = ipaddress.IPv6Network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.IPv6Network("64:ff9b:1::/48")


def _embedded_ipv4(address: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """Every IPv4 address ``address`` carries: mapped, compatible, 6to4, NAT64, Teredo."""
    found: list[ipaddress.IPv4Address] = []
    if address.ipv4_mapped is not None:
        found.append(address.ipv4_mapped)
    if address in _V4_COMPATIBLE or address in _NAT64_WELL_KNOWN:
        found.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    if address.sixtofour is not None:
        found.append(address.sixtofour)
    if address.teredo is not None:
        found.extend(address.teredo)  # (server, client), the client already de-obfuscated
    return found


def _is_public_one(address: IPAddress) -> bool:
    blocked = (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
    )
    return address.is_global and not blocked


def _resolve(host: str, port: int) -> list[IPAddress]:
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        pass
    else:
        return [literal]
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise DestinationRefused("the destination host does not resolve", host=host) from exc
    found: list[IPAddress] = []
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%")[0])
        if address not in found:
            found.append(address)
    if not found:
        raise DestinationRefused("the destination host does not resolve", host=host)
    return found


def post_pinned(
    url: str,
    *,
    content: bytes,
    headers: dict[str, str],
    allow_private: bool,
    timeout: float,
) -> httpx.Response:
    """POST to ``url`` at the address just checked; no redirects, no proxies from the env.

    Raises: ERR_WEBHOOK_DESTINATION_REFUSED, ``httpx.HTTPError``.
    """
    destination = resolve_destination(url, allow_private=allow_private)
    with httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False) as client:
        return client.post(
            destination.pinned_url,
            content=content,
            headers=headers | {"host": destination.host_header},
            extensions={"sni_hostname": destination.host},
        )
