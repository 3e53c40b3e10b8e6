from __future__ import annotations

import base64
import re
import time

import pytest
from cryptography.fernet import Fernet

from actions import iban_vault

IBAN = "DE89370400440532013000"


@pytest.fixture
def environ() -> dict[str, str]:
    return {iban_vault.KEY_VARIABLE: iban_vault.generate_key()}


def test_seal_and_open_round_trip(environ: dict[str, str]) -> None:
    token = iban_vault.seal(IBAN, environ)
    assert iban_vault.open(token, environ) == IBAN


def test_the_token_shows_nothing_of_the_iban(environ: dict[str, str]) -> None:
    token = iban_vault.seal(IBAN, environ)
    assert IBAN not in token
    assert "0532013000" not in token
    assert iban_vault.seal(IBAN, environ) != token  # fresh IV each time: tokens are not linkable


def test_a_missing_key_fails_with_a_clear_message() -> None:
    with pytest.raises(iban_vault.VaultKeyMissing, match="IBAN_TOKEN_KEY is not set"):
        iban_vault.seal(IBAN, {})


def test_a_malformed_key_is_refused() -> None:
    with pytest.raises(iban_vault.VaultKeyMissing, match="not a valid Fernet key"):
        iban_vault.seal(IBAN, {iban_vault.KEY_VARIABLE: "geheim"})


def test_the_key_is_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(iban_vault.KEY_VARIABLE, iban_vault.generate_key())
    assert iban_vault.open(iban_vault.seal(IBAN)) == IBAN


def test_another_key_cannot_open_the_token(environ: dict[str, str]) -> None:
    token = iban_vault.seal(IBAN, environ)
    other = {iban_vault.KEY_VARIABLE: iban_vault.generate_key()}
    with pytest.raises(iban_vault.TokenInvalid):
        iban_vault.open(token, other)


@pytest.mark.parametrize("token", ["", "not-a-token", "gAAAAA" + "A" * 80, "DE89 **** 3000"])
def test_forged_tokens_are_refused(environ: dict[str, str], token: str) -> None:
    with pytest.raises(iban_vault.TokenInvalid):
        iban_vault.open(token, environ)


def test_a_tampered_token_is_refused(environ: dict[str, str]) -> None:
    token = iban_vault.seal(IBAN, environ)
    # another hex digit (an "a" replaced by "A" would be the same byte: 1 run in 16 failed)
    changed = format((int(token[-5], 16) + 1) % 16, "x")
    tampered = token[:-5] + changed + token[-4:]
    assert bytes.fromhex(tampered) != bytes.fromhex(token)
    with pytest.raises(iban_vault.TokenInvalid):
        iban_vault.open(tampered, environ)


def _hex(fernet_token: bytes) -> str:
    return base64.urlsafe_b64decode(fernet_token).hex()


def test_tokens_expire(environ: dict[str, str]) -> None:
    fernet = Fernet(environ[iban_vault.KEY_VARIABLE].encode())
    expired_at = int(time.time()) - iban_vault.TOKEN_TTL_SECONDS - 60
    old = fernet.encrypt_at_time(IBAN.encode(), expired_at)
    with pytest.raises(iban_vault.TokenInvalid, match="expired"):
        iban_vault.open(_hex(old), environ)
    recent = fernet.encrypt_at_time(IBAN.encode(), int(time.time()) - 60)
    assert iban_vault.open(_hex(recent), environ) == IBAN


def test_tokens_are_one_hex_run_that_iban_masking_cannot_touch(environ: dict[str, str]) -> None:
    # The tracker store masks IBAN-shaped text; a token must never contain such a shape.
    for _ in range(200):
        token = iban_vault.seal(IBAN, environ)
        assert re.fullmatch(r"[0-9a-f]{64,}", token)


def test_the_tracker_store_masking_leaves_tokens_intact(environ: dict[str, str]) -> None:
    from bot.redaction import mask_ibans

    for _ in range(500):
        token = iban_vault.seal(IBAN, environ)
        assert mask_ibans(token) == token
