"""Rasa's Redis lock store, with every change of a conversation's lock made atomic.

Rasa's `RedisLockStore` reads a conversation's ticket lock, changes it in Python and writes it
back (GET, then SET). Two replicas that receive a message of the same conversation at the same
moment both read "no lock", both issue ticket 0 and both go ahead: the two turns run at once,
and the SQL tracker store, which appends "the events beyond those already stored", then drops
or repeats events. Returning a ticket races the same way with issuing one, and a lost ticket
makes its message fail or wait until the ticket expires.

Here each read-change-write runs as a Redis transaction (WATCH, MULTI, EXEC) that Redis refuses
when another replica changed the lock in between; it is then simply done again. Configured in
the endpoints file as `type: bot.lock_store.AtomicRedisLockStore` with the keys of Rasa's
`redis` lock store (`url`, `port`, `db`, `password`, `key_prefix`, `use_ssl`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, RedisLockStore
from rasa.utils.endpoints import EndpointConfig

T = TypeVar("T")


class AtomicRedisLockStore(RedisLockStore):
    """`RedisLockStore` whose tickets are issued and returned in Redis transactions."""

    def __init__(self, endpoint_config: EndpointConfig | None = None, **kwargs: Any) -> None:
        if endpoint_config is not None:
            # Rasa creates a lock store named by its class path with the endpoint config only.
            kwargs = {"host": endpoint_config.url or "localhost", **endpoint_config.kwargs}
        super().__init__(**kwargs)

    def _change(
        self, conversation_id: str, change: Callable[[TicketLock], T], *, create: bool = False,
        drop_when_empty: bool = False,
    ) -> T | None:  # fmt: skip
        """Applies `change` to the stored lock atomically; None when there is no lock."""
        key = self.key_prefix + conversation_id

        def attempt(pipe: Any) -> T | None:
            raw = pipe.get(key)  # watched: EXEC fails if anyone writes the key before it
            if raw:
                lock: TicketLock | None = TicketLock.from_dict(json.loads(raw))
            else:
                lock = self.create_lock(conversation_id) if create else None
            result = change(lock) if lock is not None else None
            pipe.multi()
            if lock is not None:
                if drop_when_empty and not lock.is_someone_waiting():
                    pipe.delete(key)
                else:
                    pipe.set(key, lock.dumps())
            return result

        result: T | None = self.red.transaction(attempt, key, value_from_callable=True)
        return result

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        try:
            ticket = self._change(
                conversation_id, lambda lock: int(lock.issue_ticket(lock_lifetime)), create=True
            )
        except Exception as exc:  # the base class reports every failure as LockError
            raise LockError(f"Error while acquiring lock. Error:\n{exc}") from exc
        if ticket is None:  # cannot happen with create=True; keeps the type honest
            raise LockError(f"No ticket issued for conversation '{conversation_id}'.")
        return ticket

    def update_lock(self, conversation_id: str) -> None:
        self._change(conversation_id, lambda lock: lock.remove_expired_tickets())

    def finish_serving(self, conversation_id: str, ticket_number: int) -> None:
        self._change(conversation_id, lambda lock: lock.remove_ticket_for(ticket_number))

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        """Returns the ticket and deletes the lock if nobody waits, in one transaction."""
        self._change(
            conversation_id,
            lambda lock: lock.remove_ticket_for(ticket_number),
            drop_when_empty=True,
        )
