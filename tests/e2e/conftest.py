"""Fixtures of the end-to-end tests on the session's stack."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

import pytest

import clock
from tests.support.stack import Stack


@pytest.fixture
def moment(stack: Stack) -> Iterator[Callable[[datetime], None]]:
    """Sets the time of the whole running system (its processes read the stack's clock file);
    the real time comes back after the test."""
    path = Path(stack.env[clock.FILE_SETTING])
    yield lambda instant: clock.set_time(path, instant)
    clock.real_time(path)
