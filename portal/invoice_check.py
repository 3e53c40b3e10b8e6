"""Proof of possession of an invoice: Kassenzeichen and amount must both match.

A miss is recorded (and committed) before the 404 is raised, so the throttle counts it; an
unknown Kassenzeichen and a wrong amount answer alike, so nobody learns which one was wrong.
Misses are counted per Kassenzeichen and per client (``portal/limits.py``): a client over its
limit is refused before the Kassenzeichen is even looked at.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.engine import Connection

from portal import limits
from portal.problems import Problem
from portal.storage import invoices
from portal.storage.tables import lookup_failures


@dataclass(frozen=True)
class Match:
    invoice: invoices.Invoice | None
    retry_after: int | None = None
    limit: str = "kassenzeichen"  # which limit refused: "kassenzeichen" or "client"

    def require(self) -> invoices.Invoice:
        """The invoice, or the problem to answer with (call after the transaction committed)."""
        if self.retry_after is not None:
            raise limits.too_many(self.limit, self.retry_after)
        if self.invoice is None:
            raise Problem(
                404,
                "Zu diesem Kassenzeichen und Betrag gibt es keine Rechnung."
                " / No invoice matches this Kassenzeichen and amount.",
                slug="invoice-not-found",
            )
        return self.invoice


def cents(amount: str) -> int:
    """Cents of a validated amount string.

    >>> cents('48'), cents('48.0'), cents('48.05')
    (4800, 4800, 4805)
    """
    return int(Decimal(amount) * 100)


def euro(amount_cents: int) -> str:
    """
    >>> euro(4800), euro(5)
    ('48.00', '0.05')
    """
    return f"{amount_cents // 100}.{amount_cents % 100:02d}"


def match(
    conn: Connection,
    kassenzeichen: str,
    amount_cents: int,
    now: dt.datetime,
    rules: limits.Limits,
    client: limits.Client | None = None,
) -> Match:
    """`now` is naive UTC from the portal's clock (`Portal.now`)."""
    wait = limits.client_wait(conn, client, rules, now)
    if wait is not None:
        return Match(None, wait, "client")
    wait = limits.subject_wait(
        conn,
        lookup_failures,
        "kassenzeichen",
        kassenzeichen,
        rules.per_kassenzeichen,
        rules,
        now,
    )
    if wait is not None:
        return Match(None, wait)
    key = None if client is None else client.key
    return Match(invoices.match(conn, kassenzeichen, amount_cents, now, key))
