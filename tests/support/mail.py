"""Reading what the development mail sink saved (`*.eml` under its folder), waiting for it.

The portal may send a mail after the request that caused it has been answered (through its
outbox), so a test never reads the folder once: it waits, with a deadline, until the mail is
there. The sink names each file by its arrival time, so sorting by name is arrival order.
"""

from __future__ import annotations

import email
import email.policy
import re
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

from tests.support.waiting import wait_until

MAIL_TIMEOUT = 30.0
_CODE_LINE = re.compile(r"^\s+([0-9]{6})\s*$", re.MULTILINE)


@dataclass
class MailFolder:
    folder: Path

    def messages(self) -> list[EmailMessage]:
        return [_parsed(path) for path in sorted(self.folder.glob("*.eml"))]

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages() if address in str(m["To"])]

    def wait_for(
        self, address: str, count: int = 1, timeout: float = MAIL_TIMEOUT
    ) -> list[EmailMessage]:
        def enough() -> list[EmailMessage] | None:
            mails = self.to(address)
            return mails if len(mails) >= count else None

        result = wait_until(enough, timeout, f"{count} mail(s) to {address}")
        assert isinstance(result, list)
        return result

    def code_for(self, address: str, nth: int | None = None) -> str:
        """The signing code of the `nth` mail to `address` (1 = the first), or of the latest
        mail to it that holds a code, waiting until there is one."""

        def code() -> str | None:
            mails = self.to(address)
            if nth is not None:
                return _code_in(mails[nth - 1]) if len(mails) >= nth else None
            return next((found for m in reversed(mails) if (found := _code_in(m))), None)

        result = wait_until(code, MAIL_TIMEOUT, f"a signing code mailed to {address}")
        assert isinstance(result, str)
        return result


# Each file is parsed once: the sink renames a mail into place whole and never changes it, and
# a wait polls the folder every 50 ms while a session's sink holds hundreds of mails.
_PARSED: dict[Path, EmailMessage] = {}


def _parsed(path: Path) -> EmailMessage:
    if path not in _PARSED:
        parsed = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        _PARSED[path] = parsed
    return _PARSED[path]


def _code_in(mail: EmailMessage) -> str | None:
    body = mail.get_body(("plain",))
    found = _CODE_LINE.search(body.get_content()) if body is not None else None
    return found.group(1) if found else None
