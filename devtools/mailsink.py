"""Development mail sink: a real SMTP server that saves each mail as ``$MAIL_DIR/*.eml``.

File names start with the arrival time in nanoseconds, so sorting them sorts the mails by
arrival. Each file is written under a temporary name and renamed, so a reader never sees half a
mail. Stops cleanly on SIGTERM and SIGINT.

>>> MailStore(Path("/tmp")).next_name().endswith(".eml")
True
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
import signal
import time
from pathlib import Path
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session

log = logging.getLogger("devtools.mailsink")


class MailStore:
    """Saves raw mails as files with unique, time-ordered names."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._counter = itertools.count()

    def next_name(self) -> str:
        return f"{time.time_ns():020d}-{os.getpid()}-{next(self._counter):06d}.eml"

    def save(self, content: bytes) -> Path:
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / self.next_name()
        partial = path.with_suffix(".part")
        partial.write_bytes(content)
        partial.replace(path)
        return path


class SaveHandler:
    """aiosmtpd handler: accepts every mail and stores it."""

    def __init__(self, store: MailStore) -> None:
        self.store = store

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or b""
        path = self.store.save(content)
        log.info("saved mail for %d recipient(s) as %s", len(envelope.rcpt_tos), path.name)
        return "250 Message accepted for delivery"


async def serve(host: str, port: int, folder: Path) -> None:
    """Run the SMTP server until SIGTERM or SIGINT."""
    loop = asyncio.get_running_loop()
    handler = SaveHandler(MailStore(folder))
    server = await loop.create_server(lambda: SMTP(handler, hostname="mailsink"), host, port)
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    log.info("mail sink listening on %s:%d, saving to %s", host, port, folder)
    print(f"mail sink: smtp://{host}:{port} -> {folder}", flush=True)
    await stop.wait()
    server.close()
    await server.wait_closed()


def main(env: dict[str, Any] | None = None) -> None:
    env = dict(os.environ) if env is None else env
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    host = str(env.get("BIND_HOST") or "127.0.0.1")
    port = int(env.get("SMTP_PORT") or 2525)
    folder = Path(str(env.get("MAIL_DIR") or "var/mail"))
    asyncio.run(serve(host, port, folder))


if __name__ == "__main__":
    main()
