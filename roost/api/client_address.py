"""Who a request comes from: the TCP peer, or the client a trusted reverse proxy names.

`X-Forwarded-For` is a header anyone can write, so it is read only when the peer is one of
`auth.trusted_proxies` (addresses or networks); then the client is the right-most address
in it that is not itself a trusted proxy (proxies append, so the left part is the
client's own claim). Everything keyed by client (the failed-login limit, the log) uses
this, and uvicorn's own proxy-header handling is off (it trusted loopback by default).
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Sequence

from starlette.datastructures import Headers
from starlette.types import Scope

UNKNOWN = "unknown"


@functools.lru_cache(maxsize=64)
def _networks(trusted: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(t, strict=False) for t in trusted)


def is_trusted_proxy(address: str, trusted: Sequence[str]) -> bool:
    """True when `address` is in one of the `trusted` addresses/networks.

    >>> is_trusted_proxy("172.18.0.2", ["172.16.0.0/12"]), is_trusted_proxy("127.0.0.1", [])
    (True, False)
    """
    if not trusted:
        return False
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in _networks(tuple(trusted)))


def forwarded_client(peer: str, forwarded_for: str | None, trusted: Sequence[str]) -> str:
    """The client address of a request from `peer` carrying `X-Forwarded-For` (pure).

    >>> forwarded_client("127.0.0.1", "1.2.3.4", [])  # not a trusted proxy: header ignored
    '127.0.0.1'
    >>> forwarded_client("10.0.0.2", "6.6.6.6, 1.2.3.4", ["10.0.0.2"])  # the proxy saw 1.2.3.4
    '1.2.3.4'
    """
    if not forwarded_for or not is_trusted_proxy(peer, trusted):
        return peer
    hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not is_trusted_proxy(hop, trusted):
            return hop[:64]
    return hops[0][:64] if hops else peer


def peer_address(scope: Scope) -> str:
    client = scope.get("client")
    return str(client[0]) if client else UNKNOWN


def client_address(scope: Scope, trusted: Sequence[str]) -> str:
    """The client of this request (see the module docstring)."""
    return forwarded_client(peer_address(scope), Headers(scope=scope).get("x-forwarded-for"), trusted)


def is_loopback(host: str) -> bool:
    """True for addresses only this machine reaches (`127.0.0.1`, `::1`, `localhost`).

    >>> is_loopback("127.0.0.1"), is_loopback("localhost"), is_loopback("0.0.0.0"), is_loopback("10.0.0.5")
    (True, True, False, False)
    """
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name: whatever it resolves to may be reachable
