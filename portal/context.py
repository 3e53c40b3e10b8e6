"""Everything a request handler needs, built once per server in ``before_server_start``."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy.engine import Engine

from portal import consent, crypto, demo, pdf
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

    async def db(self, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn(conn, *args)`` in one transaction in a worker thread (the loop never blocks)."""
        return await asyncio.to_thread(self.transaction, fn, *args)

    def transaction(self, fn: Callable[..., T], *args: Any) -> T:
        with self.engine.begin() as conn:
            return fn(conn, *args)

    async def db_ping(self) -> bool:
        return await asyncio.to_thread(db.ping, self.engine)

    def now(self) -> dt.datetime:
        return db.utcnow()


def prepare(settings: Settings) -> None:
    """Start-up work before serving: keys, migrations, demo invoices."""
    crypto.load_key(settings.encryption_key, settings.var_dir)
    pdf.ensure_demo_seal(settings.var_dir / "keys", settings.creditor_name)
    engine = db.create_engine(settings.db_url)
    try:
        db.migrate(engine)
        invoices.seed(engine, demo.invoice_rows(settings.data_dir / "demo" / "invoices.yml"))
    finally:
        engine.dispose()


def build(settings: Settings) -> Portal:
    key_path, cert_path = pdf.ensure_demo_seal(settings.var_dir / "keys", settings.creditor_name)
    return Portal(
        settings=settings,
        engine=db.create_engine(settings.db_url),
        vault=crypto.Vault(crypto.load_key(settings.encryption_key, settings.var_dir)),
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
    )
