"""Encryption at rest for clear IBANs (Fernet: AES-128-CBC + HMAC-SHA256) and keyed hashes.

Without ``PORTAL_ENCRYPTION_KEY`` a key is generated once and kept in ``$VAR_DIR/keys`` with
mode 0600, so a restart can still decrypt what was stored before. The keyed hashes (signing
codes, request fingerprints) use keys derived from it, one per purpose: a database copy without
the key cannot be searched by brute force (a German IBAN has about 10^10 candidates once the
bank code is known, which an unkeyed SHA-256 gives away in seconds).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken


class Vault:
    """Encrypts and decrypts short secrets; hashes one-time codes with a keyed hash."""

    def __init__(self, key: bytes) -> None:
        self._fernet = Fernet(key)
        self._mac_key = hashlib.sha256(b"signing-code:" + key).digest()
        self._fingerprint_key = hashlib.sha256(b"request-fingerprint:" + key).digest()

    def encrypt(self, clear: str) -> str:
        return self._fernet.encrypt(clear.encode()).decode("ascii")

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode("ascii")).decode()
        except InvalidToken as exc:
            raise ValueError("cannot decrypt: wrong PORTAL_ENCRYPTION_KEY?") from exc

    def code_hash(self, mandate_id: str, code: str) -> str:
        """Keyed hash of a signing code, bound to its mandate."""
        message = f"{mandate_id}:{code}".encode()
        return hmac.new(self._mac_key, message, hashlib.sha256).hexdigest()

    def request_fingerprint(self, canonical: str) -> str:
        """HMAC-SHA256 (hex, 64 characters) of a normalised request, for idempotency records."""
        return hmac.new(self._fingerprint_key, canonical.encode(), hashlib.sha256).hexdigest()

    def code_matches(self, mandate_id: str, code: str, stored_hash: str) -> bool:
        return hmac.compare_digest(self.code_hash(mandate_id, code), stored_hash)


def key_from_setting(configured: str) -> bytes:
    """A Fernet key as given, or one derived from a long passphrase; `ValueError` otherwise.

    >>> key_from_setting("x" * 32) == key_from_setting("x" * 32)
    True
    >>> key_from_setting("short")
    Traceback (most recent call last):
        ...
    ValueError: PORTAL_ENCRYPTION_KEY must be a Fernet key or a passphrase of 32+ characters
    """
    try:
        Fernet(configured.encode("utf-8"))
    except ValueError:
        if len(configured) < 32:
            raise ValueError(
                "PORTAL_ENCRYPTION_KEY must be a Fernet key or a passphrase of 32+ characters"
            ) from None
        return base64.urlsafe_b64encode(hashlib.sha256(configured.encode("utf-8")).digest())
    return configured.encode("utf-8")


def load_key(configured: str | None, var_dir: Path) -> bytes:
    """Return the configured key, or the one kept under ``var_dir/keys`` (made on first use)."""
    if configured:
        return key_from_setting(configured)
    path = var_dir / "keys" / "portal-encryption.key"
    if path.exists():
        return path.read_bytes().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = Fernet.generate_key()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(key)
    return key
