"""Per-client limits on the public entry points a client talks to directly (REST, web chat).

The messenger channels count per sender only: Telegram and Meta call the webhook from their own
servers, so the calling address says nothing about the citizen. On the REST channel and the
web chat the client calls us itself; it chooses its sender id (REST) or can fetch new sessions
(web chat), so a per-sender limit alone is no limit. Both are counted: per sender id with the
messengers' bucket (`CHANNEL_RATE_BURST`, `CHANNEL_RATE_PER_MINUTE`) and per client address
(`ADDRESS_RATE_BURST`, `ADDRESS_RATE_PER_MINUTE`), higher since one address may be a whole
office behind one NAT. Over either limit: 429 with `RATE_LIMITED` (German and English), and
nothing reaches the assistant.

The client's address is the peer's, unless the peer is a proxy named in `TRUSTED_PROXIES`: then
the right-most `X-Forwarded-For` entry that is not itself a trusted proxy (entries further left
were written by the client and prove nothing). Addresses in `RATE_LIMIT_EXEMPT` are not counted
per address (the city's own monitoring; the tests' loopback), their senders still are.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field

from bot.channels.messaging import RATE_LIMITED, SenderRateLimit

__all__ = ["RATE_LIMITED", "ClientLimits", "client_address", "networks"]

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def networks(value: str | None, setting: str = "TRUSTED_PROXIES") -> list[Network]:
    """A comma-separated list of addresses or CIDR ranges.

    >>> [str(n) for n in networks("10.0.0.0/8, 127.0.0.1")]
    ['10.0.0.0/8', '127.0.0.1/32']
    >>> networks("")
    []
    >>> networks("nginx")
    Traceback (most recent call last):
    ValueError: TRUSTED_PROXIES: 'nginx' is not an IP address or range
    """
    found: list[Network] = []
    for part in (value or "").split(","):
        part = part.strip()
        if not part:
            continue
        try:
            found.append(ipaddress.ip_network(part, strict=False))
        except ValueError:
            raise ValueError(f"{setting}: {part!r} is not an IP address or range") from None
    return found


def _within(address: str, ranges: list[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return False
    return any(ip in net for net in ranges)


def client_address(peer: str, forwarded_for: str | None, trusted: list[Network]) -> str:
    """The client's address, honouring `X-Forwarded-For` only from a trusted proxy.

    >>> proxy = networks("10.0.0.0/8")
    >>> client_address("203.0.113.9", "198.51.100.1", proxy)  # not a proxy: the header lies
    '203.0.113.9'
    >>> client_address("10.0.0.2", "198.51.100.1, 203.0.113.7", proxy)
    '203.0.113.7'
    >>> client_address("10.0.0.2", "203.0.113.7, 10.0.0.5", proxy)  # two proxies in a row
    '203.0.113.7'
    >>> client_address("10.0.0.2", "", proxy)
    '10.0.0.2'
    >>> client_address("10.0.0.2", "garbage", proxy)
    '10.0.0.2'
    """
    if not forwarded_for or not _within(peer, trusted):
        return peer
    for hop in reversed([part.strip() for part in forwarded_for.split(",")]):
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            return peer  # a proxy we trust never writes this: do not guess
        if not _within(hop, trusted):
            return hop
    return peer


@dataclass
class ClientLimits:
    """Token buckets per sender id and per client address.

    >>> limits = ClientLimits(SenderRateLimit(burst=2), SenderRateLimit(burst=4))
    >>> [limits.allow("a", "192.0.2.1", now=0.0) for _ in range(3)]
    [True, True, False]
    >>> limits.allow("b", "192.0.2.1", now=0.0), limits.allow("c", "192.0.2.1", now=0.0)
    (True, False)
    >>> limits.allow("c", "192.0.2.2", now=0.0)
    True
    """

    per_sender: SenderRateLimit = field(default_factory=SenderRateLimit)
    per_address: SenderRateLimit = field(
        default_factory=lambda: SenderRateLimit(burst=60, per_minute=120.0)
    )
    trusted_proxies: list[Network] = field(default_factory=list)
    exempt: list[Network] = field(default_factory=list)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> ClientLimits:
        """The four rate settings, `TRUSTED_PROXIES` and `RATE_LIMIT_EXEMPT`.

        >>> limits = ClientLimits.from_env({"ADDRESS_RATE_BURST": "7"})
        >>> limits.per_sender.burst, limits.per_address.burst, limits.per_address.per_minute
        (20, 7, 120.0)
        """
        address_env = {
            "CHANNEL_RATE_BURST": env.get("ADDRESS_RATE_BURST") or "60",
            "CHANNEL_RATE_PER_MINUTE": env.get("ADDRESS_RATE_PER_MINUTE") or "120",
        }
        try:
            per_address = SenderRateLimit.from_env(address_env)
        except ValueError as error:
            raise ValueError(str(error).replace("CHANNEL_RATE", "ADDRESS_RATE")) from None
        return cls(
            per_sender=SenderRateLimit.from_env(env),
            per_address=per_address,
            trusted_proxies=networks(env.get("TRUSTED_PROXIES")),
            exempt=networks(env.get("RATE_LIMIT_EXEMPT"), "RATE_LIMIT_EXEMPT"),
        )

    def address(self, peer: str, forwarded_for: str | None) -> str:
        return client_address(peer, forwarded_for, self.trusted_proxies)

    def is_exempt(self, address: str) -> bool:
        return _within(address, self.exempt)

    def allow_address(self, address: str, now: float | None = None) -> bool:
        return self.is_exempt(address) or self.per_address.allow(address, now=now)

    def allow(self, sender: str | None, address: str, now: float | None = None) -> bool:
        """Counts one message (or request) of `sender` from `address`; False when over."""
        address_ok = self.allow_address(address, now=now)
        sender_ok = sender is None or self.per_sender.allow(sender, now=now)
        return address_ok and sender_ok
