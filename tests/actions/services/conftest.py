from __future__ import annotations

from collections.abc import Iterator

import pytest
from services_harness import FakePortal


@pytest.fixture
def portal() -> Iterator[FakePortal]:
    fake = FakePortal()
    undo = fake.install()
    yield fake
    undo()
