"""Ports handed out to the test stacks: never the same one twice while it may still be unbound."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from devtools import processes


@pytest.fixture
def kernel(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[int]:
    """The ports the kernel will offer, in order (it offered the same one twice in a run)."""
    offers: list[int] = []
    monkeypatch.setattr(processes, "_RESERVED", tmp_path)
    monkeypatch.setattr(processes, "_kernel_port", lambda: offers.pop(0))
    return offers


def test_a_port_handed_out_is_not_handed_out_again(kernel: list[int]) -> None:
    kernel.extend([40001, 40001, 40003, 40001, 40003, 40005])
    assert processes.free_ports(2) == [40001, 40003]
    assert processes.free_port() == 40005


def test_a_port_is_free_again_after_the_reserve(kernel: list[int], tmp_path: Path) -> None:
    kernel.extend([40001, 40001])
    assert processes.free_port() == 40001
    old = time.time() - processes.RESERVE_SECONDS - 1
    os.utime(tmp_path / "40001", (old, old))
    assert processes.free_port() == 40001
    assert time.time() - (tmp_path / "40001").stat().st_mtime < 60  # noted again


def test_the_real_kernel_gives_distinct_ports() -> None:
    ports = processes.free_ports(20) + [processes.free_port() for _ in range(20)]
    assert len(set(ports)) == 40
