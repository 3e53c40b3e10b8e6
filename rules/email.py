"""E-mail addresses for the mandate confirmation: a pragmatic syntax check, no network.

The rules are the practical subset of RFC 5321/5322 that mail providers hand out: a local part of
letters, digits and ``.!#$%&'*+/=?^_`{|}~-`` (no leading, trailing or double dot), an ``@`` and a
domain with at least one dot whose labels are letters, digits and inner hyphens. International
domain names are checked in their IDNA form. Whether the mailbox exists is shown by the signing
code arriving, not guessed here. The RFCs: https://www.rfc-editor.org/rfc/rfc5321 and
https://www.rfc-editor.org/rfc/rfc5322; IDNA: https://www.rfc-editor.org/rfc/rfc5891.

>>> validate(' Erika.Mustermann@Example.DE ')
'Erika.Mustermann@example.de'
>>> validate('mailto:info@müller-bau.de')
'info@müller-bau.de'
>>> try:
...     validate('erika.mustermann@example')
... except EmailError as error:
...     print(error.code)
invalid_domain
>>> is_valid('erika..m@example.de'), is_valid('erika@@example.de')
(False, False)
"""

from __future__ import annotations

import re

from rules.errors import InputError

MAX_LENGTH = 254
_LOCAL = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")
_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
_TOP_LEVEL = re.compile(r"(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})")


class EmailError(InputError):
    """Codes: ``empty``, ``missing_at``, ``too_long``, ``invalid_local``, ``invalid_domain``."""


def compact(value: str) -> str:
    """Strip surrounding space, a ``mailto:`` prefix and angle brackets."""
    text = value.strip().strip("<>").strip()
    if text.lower().startswith("mailto:"):
        text = text[len("mailto:") :]
    return text


def _ascii_domain(domain: str) -> str:
    try:
        return domain.encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise EmailError(f"{domain!r} is not a domain name", code="invalid_domain") from exc


def _check_domain(domain: str) -> None:
    labels = _ascii_domain(domain).split(".")
    if len(labels) < 2 or not _TOP_LEVEL.fullmatch(labels[-1]):
        raise EmailError(f"{domain!r} lacks a top-level domain", code="invalid_domain")
    if not all(_LABEL.fullmatch(label) for label in labels):
        raise EmailError(f"{domain!r} is not a domain name", code="invalid_domain")


def validate(value: str) -> str:
    """Return the address (domain in lower case) or raise an ``EmailError``."""
    address = compact(value)
    if not address:
        raise EmailError("no e-mail address given", code="empty")
    if address.count("@") != 1:
        raise EmailError("an e-mail address has exactly one @", code="missing_at")
    if len(address) > MAX_LENGTH:
        raise EmailError("the e-mail address is too long", code="too_long")
    local, domain = address.split("@")
    if len(local) > 64 or not _LOCAL.fullmatch(local):
        raise EmailError(f"{local!r} cannot stand before the @", code="invalid_local")
    domain = domain.lower()
    _check_domain(domain)
    return f"{local}@{domain}"


def is_valid(value: str) -> bool:
    """Whether the value is a plausible e-mail address."""
    try:
        validate(value)
    except EmailError:
        return False
    return True


def format(value: str) -> str:
    """The address as written back: without ``mailto:`` or brackets, the domain in lower case.

    >>> format('<Erika@Example.DE>')
    'Erika@example.de'
    """
    address = compact(value)
    local, at, domain = address.rpartition("@")
    return f"{local}{at}{domain.lower()}" if at else address
