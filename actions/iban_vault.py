"""Keeps a citizen's IBAN on the action server while the payment form needs it; the conversation
holds only a random handle to it (slot ``iban_token``), never the IBAN and never a ciphertext.

Why a handle: the conversation's history (every ``SlotSet`` ever written) stays in the tracker
store for months. An encrypted IBAN in a slot would stay there too, readable by anyone who later
holds a tracker dump and the key. A handle is only a name: once its entry is deleted or expired,
the handle opens nothing, whoever holds it and whatever keys they have.

- ``seal`` encrypts the validated IBAN (Fernet: AES-128-CBC with HMAC-SHA256, key
  ``IBAN_TOKEN_KEY``), stores the ciphertext under a fresh random handle (128 bits) for
  ``TOKEN_TTL_SECONDS`` and returns the handle.
- ``open`` returns the IBAN, or raises ``TokenInvalid`` when the handle is unknown, expired,
  deleted, or its entry cannot be decrypted with the current key (the form then asks for the
  IBAN again: ``utter_iban_expired``).
- ``discard`` deletes the entry: when the portal has the IBAN (the mandate was created), when a
  new IBAN replaces it, and when the form ends (signed, stopped or cancelled).

Where entries live: with ``REDIS_URL`` set, in Redis (key ``<REDIS_KEY_PREFIX>:iban:<SHA-256 of
the handle>``, with Redis's own expiry), shared by every action-server replica. Without it, in the
action server's memory, expired by the process's clock (``clock.py``): a single action server
only, and a restart loses every pending handle, so the citizen is asked for the IBAN once more.
Either way the stored value is the ciphertext, so a Redis dump without the key yields nothing.

A handle is a digit followed by hexadecimal: one alphanumeric run starting with a digit, which
the IBAN masking of the tracker store (``rules.iban.find_all``) never takes for an IBAN.
"""

from __future__ import annotations

import hashlib
import logging
import os
import secrets
import threading
from collections.abc import Mapping
from datetime import datetime, timedelta

from cryptography.fernet import Fernet, InvalidToken
from redis.asyncio import Redis
from redis.exceptions import RedisError

import clock

KEY_VARIABLE = "IBAN_TOKEN_KEY"
TOKEN_TTL_SECONDS = 2 * 60 * 60
REDIS_TIMEOUT_SECONDS = 2.0
DEFAULT_KEY_PREFIX = "buergerbot"
logger = logging.getLogger(__name__)


class VaultError(Exception):
    """The vault cannot work (no usable key, Redis unreachable) or a handle opens nothing."""


class VaultKeyMissing(VaultError):
    """``IBAN_TOKEN_KEY`` is unset or not a Fernet key."""


class VaultUnavailable(VaultError):
    """Redis did not answer in time; nothing was stored or read."""


class TokenInvalid(VaultError):
    """The handle is unknown, expired or deleted, or its entry was sealed under another key."""


def generate_key() -> str:
    """A fresh key for ``IBAN_TOKEN_KEY`` (url-safe base64 of 32 random bytes)."""
    return Fernet.generate_key().decode("ascii")


def new_handle() -> str:
    """A fresh handle: ``0`` and 32 hexadecimal digits (128 random bits).

    >>> handle = new_handle()
    >>> len(handle), handle[0], int(handle, 16) >= 0
    (33, '0', True)
    """
    return "0" + secrets.token_hex(16)


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


def _entry_name(handle: str) -> str:
    # Stored under a hash of the handle: a listing of the store's keys gives no usable handle.
    return hashlib.sha256(handle.encode("utf-8")).hexdigest()


class MemoryStore:
    """Entries in this process, each with its expiry on the process's clock."""

    def __init__(self) -> None:
        self._entries: dict[str, tuple[bytes, datetime]] = {}
        self._lock = threading.Lock()

    def _now(self, environ: Mapping[str, str]) -> datetime:
        return clock.from_env(environ).now()

    def put(self, name: str, value: bytes, ttl: int, environ: Mapping[str, str]) -> None:
        now = self._now(environ)
        with self._lock:
            # forget what has expired, so the memory holds only live entries
            for old in [k for k, (_, until) in self._entries.items() if until <= now]:
                del self._entries[old]
            self._entries[name] = (value, now + timedelta(seconds=ttl))

    def get(self, name: str, environ: Mapping[str, str]) -> bytes | None:
        now = self._now(environ)
        with self._lock:
            entry = self._entries.get(name)
            if entry is None:
                return None
            if entry[1] <= now:
                del self._entries[name]
                return None
            return entry[0]

    def delete(self, name: str) -> None:
        with self._lock:
            self._entries.pop(name, None)

    def __len__(self) -> int:
        return len(self._entries)


MEMORY = MemoryStore()


def _redis(environ: Mapping[str, str]) -> tuple[Redis, str] | None:
    url = environ.get("REDIS_URL", "").strip()
    if not url:
        return None
    prefix = environ.get("REDIS_KEY_PREFIX") or DEFAULT_KEY_PREFIX
    # One connection per call: the few calls per payment cost little, and no pool outlives
    # the event loop it was made in.
    client = Redis.from_url(
        url, socket_timeout=REDIS_TIMEOUT_SECONDS, socket_connect_timeout=REDIS_TIMEOUT_SECONDS
    )
    return client, f"{prefix}:iban:"


def _unavailable(error: RedisError) -> VaultUnavailable:
    # the class only: a Redis error message may carry the URL with its password
    return VaultUnavailable(f"the IBAN vault's Redis did not answer ({type(error).__name__})")


async def seal(
    iban: str, environ: Mapping[str, str] = os.environ, *, ttl: int = TOKEN_TTL_SECONDS
) -> str:
    """Keep the (validated, compact) IBAN for ``ttl`` seconds; return the handle for the slot."""
    value = _fernet(environ).encrypt(iban.encode("utf-8"))
    handle = new_handle()
    redis = _redis(environ)
    if redis is None:
        MEMORY.put(_entry_name(handle), value, ttl, environ)
        return handle
    client, prefix = redis
    try:
        async with client:
            await client.set(prefix + _entry_name(handle), value, ex=ttl)
    except RedisError as error:
        raise _unavailable(error) from None
    return handle


async def open(  # shadows the builtin on purpose: callers write ``iban_vault.open(handle)``
    handle: str | None, environ: Mapping[str, str] = os.environ
) -> str:
    """The IBAN kept under ``handle``; ``TokenInvalid`` if there is none (any more)."""
    fernet = _fernet(environ)
    if not handle:
        raise TokenInvalid("no IBAN handle")
    name = _entry_name(str(handle))
    redis = _redis(environ)
    if redis is None:
        value = MEMORY.get(name, environ)
    else:
        client, prefix = redis
        try:
            async with client:
                value = await client.get(prefix + name)
        except RedisError as error:
            raise _unavailable(error) from None
    if value is None:
        raise TokenInvalid("the IBAN handle is unknown or has expired")
    try:
        return fernet.decrypt(value).decode("utf-8")
    except (InvalidToken, UnicodeError) as exc:
        raise TokenInvalid("the IBAN was kept under another key") from exc


async def discard(handle: str | None, environ: Mapping[str, str] = os.environ) -> None:
    """Delete the entry behind ``handle`` (nothing if there is none). Never raises: should Redis
    not answer, the entry still expires after ``TOKEN_TTL_SECONDS``."""
    if not handle:
        return
    name = _entry_name(str(handle))
    redis = _redis(environ)
    if redis is None:
        MEMORY.delete(name)
        return
    client, prefix = redis
    try:
        async with client:
            await client.delete(prefix + name)
    except RedisError as error:
        logger.warning(
            "IBAN vault: entry not deleted, it expires by itself (%s)", type(error).__name__
        )
