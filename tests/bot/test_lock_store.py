"""The atomic Redis lock store against the tests' real Redis (tests/support/services.py), as
two "replicas" (two store objects, two threads) that take the lock of one conversation at the
same moment.
"""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import Iterator

import pytest
from rasa.core.lock_store import LockStore
from rasa.utils.endpoints import EndpointConfig

from bot.endpoints import redis_lock_store
from bot.lock_store import AtomicRedisLockStore
from tests.support.services import redis_keys_removed, redis_url

pytestmark = pytest.mark.integration


@pytest.fixture
def prefix() -> Iterator[str]:
    name = "locktest" + uuid.uuid4().hex[:10]
    with redis_keys_removed(name):
        yield name


def replicas(prefix: str) -> list[AtomicRedisLockStore]:
    """Built the way Rasa builds them from the endpoints file we write."""
    config = EndpointConfig.from_dict(redis_lock_store(redis_url(), prefix))
    stores = [LockStore.create(config) for _ in range(2)]
    assert all(isinstance(store, AtomicRedisLockStore) for store in stores)
    return stores  # type: ignore[return-value]


def at_once(work: list[object]) -> None:
    """Runs the callables in threads released together by a barrier."""
    barrier = threading.Barrier(len(work))

    def run(job: object) -> None:
        barrier.wait()
        job()  # type: ignore[operator]

    threads = [threading.Thread(target=run, args=(job,)) for job in work]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)


def test_rasa_builds_it_from_our_endpoints_with_our_prefix(prefix: str) -> None:
    store = replicas(prefix)[0]
    assert store.key_prefix == f"{prefix}:lock:"
    with pytest.raises(ValueError, match="REDIS_KEY_PREFIX"):
        redis_lock_store(redis_url(), "not-alphanumeric")


def tickets_at_once(stores: list[AtomicRedisLockStore], conversation: str) -> list[int]:
    tickets: list[int] = []
    at_once([lambda store=store: tickets.append(store.issue_ticket(conversation))
             for store in stores])  # fmt: skip
    return tickets


def test_two_replicas_never_get_the_same_ticket(prefix: str) -> None:
    stores = replicas(prefix)
    for _ in range(100):
        assert sorted(tickets_at_once(stores, uuid.uuid4().hex)) == [0, 1]


def test_the_lock_lets_one_replica_in_at_a_time_and_is_gone_afterwards(prefix: str) -> None:
    stores = replicas(prefix)
    conversation = "citizen-" + uuid.uuid4().hex
    trace: list[tuple[str, int]] = []

    async def turns(number: int) -> None:
        for _ in range(15):
            async with stores[number].lock(conversation, wait_time_in_seconds=0.005):
                trace.append(("in", number))
                await asyncio.sleep(0.002)  # a turn takes a while; the other replica must wait
                trace.append(("out", number))

    at_once([lambda: asyncio.run(turns(0)), lambda: asyncio.run(turns(1))])
    assert len(trace) == 60
    for entered, left in zip(trace[::2], trace[1::2], strict=True):
        assert entered[0] == "in" and left == ("out", entered[1])
    assert stores[0].get_lock(conversation) is None
