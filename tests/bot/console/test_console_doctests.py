"""The `>>>` examples in the console's pure modules run as tests."""

from __future__ import annotations

import doctest
from types import ModuleType

import pytest

from bot.console import accounts, charts, conversation, filters, reviews


@pytest.mark.parametrize("module", [accounts, charts, conversation, filters, reviews])
def test_doctests(module: ModuleType) -> None:
    failures, tried = doctest.testmod(module)
    assert tried > 0 and failures == 0
