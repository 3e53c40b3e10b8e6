from __future__ import annotations

from collections.abc import Iterator

import pytest
from payment_fake_portal import FakePortal

from actions import iban_vault
from actions.portal_client import set_portal_client


@pytest.fixture(autouse=True)
def environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(iban_vault.KEY_VARIABLE, iban_vault.generate_key())
    monkeypatch.setenv("CREDITOR_NAME", "Universitätsstadt Marburg")
    monkeypatch.setenv("CREDITOR_ID", "DE98ZZZ09999999999")


@pytest.fixture
def portal() -> Iterator[FakePortal]:
    fake = FakePortal()
    fake.add_invoice("4100.2026.0001", "48.00")
    set_portal_client(fake.client())
    yield fake
    set_portal_client(None)
