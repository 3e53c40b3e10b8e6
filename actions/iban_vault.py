"""Seals a clear IBAN into an encrypted, expiring token, so no slot ever holds the IBAN itself.

The action server validates the IBAN, puts only its masked form and this token into the
conversation, and opens the token again only to send the IBAN to the portal. Tokens are Fernet
tokens (AES-128-CBC with HMAC-SHA256) under the key in ``IBAN_TOKEN_KEY``. ``open`` refuses a
token older than ``TOKEN_TTL_SECONDS``, but that age is only a timestamp inside the token: anyone
holding a tracker dump and the key can still decrypt an old token. A tracker dump without the
key yields nothing. The launcher sets a random key at start when none is configured (so a
restart makes every earlier token unreadable); several action-server replicas must share it.

A token is written in hexadecimal, one unbroken run of ``0-9a-f``: the tracker store masks
anything shaped like an IBAN, and base64's ``-`` and ``_`` could start such a shape inside a
token and get it masked (and destroyed).
"""

from __future__ import annotations

import base64
import binascii
import os
from collections.abc import Mapping

from cryptography.fernet import Fernet, InvalidToken

KEY_VARIABLE = "IBAN_TOKEN_KEY"
TOKEN_TTL_SECONDS = 2 * 60 * 60


class VaultError(Exception):
    """The vault cannot work (no usable key) or a token cannot be opened."""


class VaultKeyMissing(VaultError):
    """``IBAN_TOKEN_KEY`` is unset or not a Fernet key."""


class TokenInvalid(VaultError):
    """The token was forged, damaged, sealed under another key or has expired."""


def generate_key() -> str:
    """A fresh key for ``IBAN_TOKEN_KEY`` (url-safe base64 of 32 random bytes)."""
    return Fernet.generate_key().decode("ascii")


def _fernet(environ: Mapping[str, str]) -> Fernet:
    key = environ.get(KEY_VARIABLE, "").strip()
    if not key:
        raise VaultKeyMissing(
            f"{KEY_VARIABLE} is not set: the action server needs it to protect IBANs; "
            "the launcher sets a random one, or generate one with "
            "`python -c 'from actions.iban_vault import generate_key; print(generate_key())'`"
        )
    try:
        return Fernet(key.encode("ascii"))
    except (ValueError, UnicodeEncodeError) as exc:
        raise VaultKeyMissing(f"{KEY_VARIABLE} is not a valid Fernet key") from exc


def seal(iban: str, environ: Mapping[str, str] = os.environ) -> str:
    """Encrypt the (validated, compact) IBAN into a token that is safe to keep in a slot."""
    token = _fernet(environ).encrypt(iban.encode("utf-8"))
    return base64.urlsafe_b64decode(token).hex()


def open(  # shadows the builtin on purpose: callers write ``iban_vault.open(token)``
    token: str, environ: Mapping[str, str] = os.environ, *, ttl: int = TOKEN_TTL_SECONDS
) -> str:
    """Decrypt a token made by ``seal``; raise ``TokenInvalid`` if forged or expired."""
    try:
        fernet_token = base64.urlsafe_b64encode(bytes.fromhex(token))
        return _fernet(environ).decrypt(fernet_token, ttl=ttl).decode("utf-8")
    except (InvalidToken, UnicodeError, ValueError, binascii.Error) as exc:
        raise TokenInvalid("the IBAN token is invalid or has expired") from exc
