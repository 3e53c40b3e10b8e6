"""The IBAN vault: a random handle in the conversation, the encrypted IBAN on the action server
(its memory, or Redis with REDIS_URL), gone once deleted or expired."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import uuid
from collections.abc import Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
import redis

import clock
from actions import iban_vault
from tests.support.services import redis_keys_removed
from tests.support.waiting import wait_until

IBAN = "DE89370400440532013000"


T = TypeVar("T")


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coroutine)


@pytest.fixture
def environ(tmp_path: Path) -> dict[str, str]:
    # the process's clock from a file the test moves (clock.py), no Redis
    return {
        iban_vault.KEY_VARIABLE: iban_vault.generate_key(),
        clock.FILE_SETTING: str(tmp_path / "clock"),
    }


@pytest.fixture
def in_redis(redis_url: str) -> Iterator[dict[str, str]]:
    prefix = "vaulttest" + uuid.uuid4().hex[:8]
    with redis_keys_removed(prefix) as url:
        yield {
            iban_vault.KEY_VARIABLE: iban_vault.generate_key(),
            "REDIS_URL": url,
            "REDIS_KEY_PREFIX": prefix,
        }


def test_a_handle_opens_the_iban_until_it_is_discarded(environ: dict[str, str]) -> None:
    handle = run(iban_vault.seal(IBAN, environ))
    assert run(iban_vault.open(handle, environ)) == IBAN
    assert run(iban_vault.open(handle, environ)) == IBAN  # opened again in a later turn
    run(iban_vault.discard(handle, environ))
    with pytest.raises(iban_vault.TokenInvalid, match="unknown or has expired"):
        run(iban_vault.open(handle, environ))
    run(iban_vault.discard(handle, environ))  # twice changes nothing


def test_the_handle_holds_nothing_of_the_iban(environ: dict[str, str]) -> None:
    handles = {run(iban_vault.seal(IBAN, environ)) for _ in range(50)}
    assert len(handles) == 50  # a fresh random handle each time: not linkable
    # No ten characters of the IBAN in a row. (A shorter piece such as "de89" turns up in a
    # random hex handle by chance: 1 in 2,300 handles, which made this test fail now and then.)
    number = IBAN.replace(" ", "").lower()
    pieces = {number[i : i + 10] for i in range(len(number) - 9)}
    for handle in handles:
        assert re.fullmatch(r"0[0-9a-f]{32}", handle)
        assert not any(piece in handle for piece in pieces), handle


def test_unknown_and_forged_handles_open_nothing(environ: dict[str, str]) -> None:
    for handle in (None, "", "0" + "0" * 32, iban_vault.new_handle(), "DE89370400440532013000"):
        with pytest.raises(iban_vault.TokenInvalid):
            run(iban_vault.open(handle, environ))


def test_a_handle_expires_on_the_process_clock(environ: dict[str, str]) -> None:
    clock_file = Path(environ[clock.FILE_SETTING])
    start = dt.datetime(2026, 5, 12, 10, 0, tzinfo=dt.timezone.utc)
    clock.set_time(clock_file, start)
    handle = run(iban_vault.seal(IBAN, environ))
    ttl = dt.timedelta(seconds=iban_vault.TOKEN_TTL_SECONDS)
    clock.set_time(clock_file, start + ttl - dt.timedelta(seconds=1))
    assert run(iban_vault.open(handle, environ)) == IBAN
    clock.set_time(clock_file, start + ttl)
    with pytest.raises(iban_vault.TokenInvalid, match="expired"):
        run(iban_vault.open(handle, environ))
    clock.set_time(clock_file, start)  # back in time: the expired entry is gone for good
    with pytest.raises(iban_vault.TokenInvalid):
        run(iban_vault.open(handle, environ))


def test_expired_entries_leave_the_memory(environ: dict[str, str]) -> None:
    clock_file = Path(environ[clock.FILE_SETTING])
    start = dt.datetime(2026, 5, 12, 10, 0, tzinfo=dt.timezone.utc)
    clock.set_time(clock_file, start)
    store = iban_vault.MEMORY
    for _ in range(20):
        run(iban_vault.seal(IBAN, environ, ttl=60))
    before = len(store)
    clock.set_time(clock_file, start + dt.timedelta(minutes=2))
    run(iban_vault.seal(IBAN, environ, ttl=60))  # each new entry sweeps out the expired ones
    assert len(store) <= before - 20 + 1


def test_another_key_opens_nothing(environ: dict[str, str]) -> None:
    handle = run(iban_vault.seal(IBAN, environ))
    other = {**environ, iban_vault.KEY_VARIABLE: iban_vault.generate_key()}
    with pytest.raises(iban_vault.TokenInvalid, match="another key"):
        run(iban_vault.open(handle, other))


def test_a_missing_or_broken_key_is_named() -> None:
    with pytest.raises(iban_vault.VaultKeyMissing, match="IBAN_TOKEN_KEY is not set"):
        run(iban_vault.seal(IBAN, {}))
    with pytest.raises(iban_vault.VaultKeyMissing, match="not a valid Fernet key"):
        run(iban_vault.seal(IBAN, {iban_vault.KEY_VARIABLE: "geheim"}))


def test_the_tracker_store_masking_leaves_handles_intact(environ: dict[str, str]) -> None:
    from bot.redaction import mask_ibans

    for _ in range(500):
        handle = run(iban_vault.seal(IBAN, environ))
        assert mask_ibans(handle) == handle


def test_in_redis_the_entry_is_the_ciphertext_with_a_real_ttl(in_redis: dict[str, str]) -> None:
    in_memory = len(iban_vault.MEMORY)
    handle = run(iban_vault.seal(IBAN, in_redis))
    assert len(iban_vault.MEMORY) == in_memory  # nothing in this process: any replica opens it
    assert run(iban_vault.open(handle, in_redis)) == IBAN
    client = redis.Redis.from_url(in_redis["REDIS_URL"], socket_timeout=5)
    try:
        keys = list(client.scan_iter(match=f"{in_redis['REDIS_KEY_PREFIX']}:iban:*"))
        assert len(keys) == 1
        assert handle.encode() not in keys[0]  # stored under a hash of the handle
        stored = client.get(keys[0])
        assert stored and IBAN.encode() not in stored and b"370400440532013000" not in stored
        ttl = client.ttl(keys[0])
        assert 0 < ttl <= iban_vault.TOKEN_TTL_SECONDS
        run(iban_vault.discard(handle, in_redis))
        assert client.exists(keys[0]) == 0
    finally:
        client.close()
    with pytest.raises(iban_vault.TokenInvalid):
        run(iban_vault.open(handle, in_redis))


def test_in_redis_an_entry_expires_by_redis(in_redis: dict[str, str]) -> None:
    handle = run(iban_vault.seal(IBAN, in_redis, ttl=1))
    client = redis.Redis.from_url(in_redis["REDIS_URL"], socket_timeout=5)
    try:
        prefix = f"{in_redis['REDIS_KEY_PREFIX']}:iban:*"
        wait_until(lambda: not list(client.scan_iter(match=prefix)), 10, "Redis expiring it")
    finally:
        client.close()
    with pytest.raises(iban_vault.TokenInvalid):
        run(iban_vault.open(handle, in_redis))


def test_redis_out_of_reach_is_said_and_stores_nothing() -> None:
    environ = {
        iban_vault.KEY_VARIABLE: iban_vault.generate_key(),
        "REDIS_URL": "redis://:secret-password@127.0.0.1:9/0",  # the discard port: refused
    }
    with pytest.raises(iban_vault.VaultUnavailable) as raised:
        run(iban_vault.seal(IBAN, environ))
    assert "secret-password" not in str(raised.value)
    run(iban_vault.discard(iban_vault.new_handle(), environ))  # never raises: the TTL cleans up
