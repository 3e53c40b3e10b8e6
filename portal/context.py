"""Everything a request handler needs, built once per server in ``before_server_start``."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy.engine import Engine

import clock as clocks
from portal import consent, crypto, demo, limits, outbox, pdf
from portal.mail import Mailer
from portal.settings import Settings
from portal.storage import db, invoices

T = TypeVar("T")


@dataclass
class Portal:
    settings: Settings
    engine: Engine
    vault: crypto.Vault
    consents: dict[str, consent.ConsentText]
    calendar: dict[str, Any]
    mailer: Mailer
    sealer: pdf.Sealer
    seal_cert: Path
    clock: clocks.Clock
    # set by the app while it serves: wakes the mail worker when a request queued a mail
    wake_outbox: Callable[[], None] = lambda: None
    # failed lookups allowed per Kassenzeichen, reference and client (portal/limits.py)
    lookup_limits: limits.Limits = field(default_factory=limits.Limits)
    client_mac_key: bytes = b""

    async def db(self, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn(conn, *args)`` in one transaction in a worker thread (the loop never blocks)."""
        return await asyncio.to_thread(self.transaction, fn, *args)

    def transaction(self, fn: Callable[..., T], *args: Any) -> T:
        with self.engine.begin() as conn:
            return fn(conn, *args)

    async def db_ping(self) -> bool:
        return await asyncio.to_thread(db.ping, self.engine)

    def now(self) -> dt.datetime:
        """Naive UTC in whole seconds (the stored form), from the one injectable clock."""
        return self.clock.utcnow()

    def today(self) -> dt.date:
        """The city's date today: due dates and collection dates are counted in it."""
        return self.clock.today()

    def outbox_policy(self) -> outbox.Policy:
        return outbox.Policy(self.settings.outbox_retry_seconds, self.settings.outbox_max_attempts)


def prepare(settings: Settings, the_clock: clocks.Clock | None = None) -> None:
    """Start-up work before serving: keys, migrations, demo invoices (dated from today)."""
    today = (the_clock or clocks.from_env()).today()
    crypto.load_key(settings.encryption_key, settings.var_dir)
    pdf.ensure_demo_seal(settings.var_dir / "keys", settings.creditor_name)
    engine = db.create_engine(settings.db_url)
    folder = settings.data_dir / "demo"
    try:
        db.migrate(engine)
        invoices.seed(
            engine, demo.invoice_rows(folder / "invoices.yml", folder / "portal.yml", today)
        )
    finally:
        engine.dispose()


def build(settings: Settings, the_clock: clocks.Clock | None = None) -> Portal:
    key_path, cert_path = pdf.ensure_demo_seal(settings.var_dir / "keys", settings.creditor_name)
    key = crypto.load_key(settings.encryption_key, settings.var_dir)
    return Portal(
        settings=settings,
        engine=db.create_engine(settings.db_url),
        vault=crypto.Vault(key),
        consents=consent.load(settings.data_dir / "consent"),
        calendar=demo.portal_config(settings.data_dir / "demo" / "portal.yml"),
        mailer=Mailer(
            host=settings.smtp_host,
            port=settings.smtp_port,
            sender=settings.mail_from,
            user=settings.smtp_user,
            password=settings.smtp_password,
        ),
        sealer=pdf.Sealer(key_path, cert_path, location=settings.creditor_name),
        seal_cert=cert_path,
        clock=the_clock or clocks.from_env(),
        lookup_limits=settings.lookup_limits(),
        client_mac_key=limits.mac_key(key),
    )
