"""Issue 9, scale-out: two Rasa replicas on one PostgreSQL tracker store and the Redis lock store.

Fifty citizens talk at once (greeting, a catalogue question, a direct-debit payment up to the
mandate text, then cancel), each turn sent to the other replica than the turn before. Every
fifth citizen also sends two messages at the same moment, one to each replica: the lock store
must make the replicas handle them one after the other. Afterwards the events table and both
replicas' tracker API must tell the same story: every message exactly once, in the order sent,
each followed by exactly the replies the citizen got, timestamps never going back.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import psycopg2
import pytest
import redis
import yaml

from bot.endpoints import LOCK_STORE_CLASS
from bot.redaction import mask_ibans
from bot.settings import ROOT
from tests.support import localhttp
from tests.support.cluster import Cluster, running_cluster
from tests.support.services import redis_url

pytestmark = [pytest.mark.integration, pytest.mark.slow]

CITIZENS = 50
PAIR_EVERY = 5  # citizens 0, 5, 10, … send two messages at once
IBAN = "DE89 3704 0044 0532 0130 00"
LEAKS = ("370400440532013000", "3704 0044 0532", "0532 0130")  # the account digits, in clear
# Generous: 50 conversations share two cores with two Rasa servers, two action servers,
# the portal and PostgreSQL; a turn waiting for the lock also waits for the other one.
TIMEOUT = httpx.Timeout(180.0, connect=30.0)


@dataclass(frozen=True)
class Turn:
    message: str
    expected: str  # must appear in the reply


@dataclass
class Sent:
    turn: Turn
    replica: int
    replies: list[str]
    started: float
    finished: float


def open_invoices() -> list[dict[str, Any]]:
    invoices = yaml.safe_load((ROOT / "data/demo/invoices.yml").read_text(encoding="utf-8"))
    return [i for i in invoices if i.get("payment_state", "open") == "open"]


def script(index: int, invoices: list[dict[str, Any]]) -> list[list[Turn]]:
    """The steps of one citizen; a step of two turns sends both at the same moment."""
    invoice = invoices[index % len(invoices)]
    kassenzeichen, amount = invoice["kassenzeichen"], invoice["amount"].replace(".", ",")
    pair = [Turn("was kannst du alles", "Dabei kann ich Ihnen helfen"),
            Turn("bist du ein mensch?", "kein Mensch")]  # fmt: skip
    return [
        [Turn("Hallo", "Wie kann ich Ihnen helfen?")],
        [Turn("wie hoch ist die hundesteuer", "60 €")],
        *([pair] if index % PAIR_EVERY == 0 else []),
        [Turn("Ich möchte meine Rechnung per Lastschrift bezahlen", "Kassenzeichen")],
        [Turn(f"Kassenzeichen {kassenzeichen}, {amount} Euro", invoice["purpose"])],
        [Turn("Erika Mustermann", "IBAN")],
        [Turn(IBAN, "DE89 **** **** **** **30 00")],
        [Turn(f"buerger{index}@example.de", "Ich ermächtige")],
        [Turn("abbrechen", "kein Mandat")],
    ]


class TurnFailed(Exception):
    """A turn got no HTTP answer; says which, so that the replicas' logs can be read for it."""


async def send(client: httpx.AsyncClient, cluster: Cluster, replica: int, sender: str,
               turn: Turn) -> Sent:  # fmt: skip
    started = time.monotonic()
    try:
        response = await client.post(
            f"{cluster.rasa_urls[replica]}/webhooks/rest/webhook",
            json={"sender": sender, "message": turn.message},
        )
    except httpx.TransportError as error:
        raise TurnFailed(
            f"{sender}, {mask_ibans(turn.message)!r} to replica {replica}: {error!r} "
            f"after {time.monotonic() - started:.1f} s"
        ) from error
    response.raise_for_status()
    replies = [str(reply["text"]) for reply in response.json() if reply.get("text")]
    return Sent(turn, replica, replies, started, time.monotonic())


async def converse(client: httpx.AsyncClient, cluster: Cluster, sender: str,
                   steps: list[list[Turn]], first: int) -> list[list[Sent]]:  # fmt: skip
    """Each step to the other replica than the step before; a pair to both at once."""
    done = []
    for number, step in enumerate(steps):
        replica = (first + number) % 2
        done.append(
            list(
                await asyncio.gather(
                    *(send(client, cluster, (replica + j) % 2, sender, turn)
                      for j, turn in enumerate(step))
                )
            )
        )  # fmt: skip
    return done


async def talk_all(cluster: Cluster, senders: list[str],
                   scripts: list[list[list[Turn]]]) -> list[list[list[Sent]]]:  # fmt: skip
    limits = httpx.Limits(max_connections=2 * len(senders))
    async with localhttp.AsyncClient(timeout=TIMEOUT, limits=limits) as client:
        return list(
            await asyncio.gather(
                *(converse(client, cluster, sender, steps, index % 2)
                  for index, (sender, steps) in enumerate(zip(senders, scripts, strict=True)))
            )
        )  # fmt: skip


def stored_events(cluster: Cluster) -> dict[str, list[dict[str, Any]]]:
    """Every event of the events table, per conversation, in the order it was written."""
    connection = psycopg2.connect(cluster.tracker_db, connect_timeout=10)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT sender_id, data FROM events ORDER BY id")
            rows = cursor.fetchall()
    finally:
        connection.close()
    events: dict[str, list[dict[str, Any]]] = {}
    for sender, data in rows:
        # The redacting tracker store masks every IBAN on PostgreSQL as on SQLite.
        assert not any(leak in data for leak in LEAKS), f"{sender}: clear IBAN stored"
        events.setdefault(sender, []).append(json.loads(data))
    return events


def api_events(cluster: Cluster, replica: int, sender: str) -> list[dict[str, Any]]:
    response = localhttp.get(
        f"{cluster.rasa_urls[replica]}/conversations/{sender}/tracker",
        params={"token": cluster.token, "include_events": "ALL"},
        timeout=60,
    )
    response.raise_for_status()
    events: list[dict[str, Any]] = response.json()["events"]
    return events


def essence(event: dict[str, Any]) -> tuple[Any, ...]:
    """What must agree between the table and the API (the API adds keys of its own)."""
    return (event["event"], event["timestamp"], event.get("text"), event.get("name"),
            json.dumps(event.get("value"), sort_keys=True))  # fmt: skip


def segments(events: list[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    """The events of each user message: from it up to the next one.

    The welcome that opens the session is written before the first user message but is part
    of the reply to it, so the events before the first user message join the first segment.
    """
    current: list[dict[str, Any]] = []
    seen_user = False
    for event in events:
        if event["event"] == "user" and seen_user:
            yield current
            current = []
        seen_user = seen_user or event["event"] == "user"
        current.append(event)
    yield current


def check_conversation(sender: str, steps: list[list[Sent]], events: list[dict[str, Any]]) -> None:
    users = [e for e in events if e["event"] == "user"]
    sent = [s for step in steps for s in step]
    sent_texts = [mask_ibans(s.turn.message) for s in sent]
    user_texts = [str(e["text"]) for e in users]
    assert Counter(user_texts) == Counter(sent_texts), f"{sender}: lost or duplicated messages"

    # In the order sent; the two messages of a pair in the order the lock let them through.
    position = 0
    for step in steps:
        expected = sorted(mask_ibans(s.turn.message) for s in step)
        assert sorted(user_texts[position : position + len(step)]) == expected, (
            f"{sender}: turns out of order at {user_texts[position:]}"
        )
        position += len(step)

    # Each message is followed by exactly the replies its citizen got, and the turn is
    # finished (action_listen) before the next message's events start: no interleaving.
    by_text = {mask_ibans(s.turn.message): s for s in sent}
    for segment in segments(events):
        message = str(next(e for e in segment if e["event"] == "user")["text"])
        bot_texts = [str(e["text"]) for e in segment if e["event"] == "bot" and e.get("text")]
        assert bot_texts == [mask_ibans(r) for r in by_text[message].replies], (
            f"{sender}: the events after {message!r} are not its replies"
        )
        actions = [e["name"] for e in segment if e["event"] == "action"]
        assert actions and actions[-1] == "action_listen", f"{sender}: {message!r} unfinished"

    stamps = [float(e["timestamp"]) for e in events]
    assert stamps == sorted(stamps), f"{sender}: timestamps go back"


def latency_summary(results: list[list[list[Sent]]], seconds: float) -> str:
    durations = sorted(s.finished - s.started for c in results for step in c for s in step)
    quantiles = statistics.quantiles(durations, n=100)
    return (
        f"{len(durations)} turns of {len(results)} conversations in {seconds:.1f} s "
        f"({len(durations) / seconds:.1f} turns/s); latency p50 {quantiles[49]:.2f} s, "
        f"p95 {quantiles[94]:.2f} s, max {durations[-1]:.2f} s"
    )


class LockWatcher(threading.Thread):
    """Notes which conversations had a lock in Redis while the citizens talk.

    Proof that the replicas lock through Redis under the cluster's prefix at all: with
    in-process locks, no key would ever appear there.
    """

    def __init__(self, prefix: str) -> None:
        super().__init__(daemon=True)
        self.pattern = f"{prefix}:lock:*"
        self.seen: set[bytes] = set()
        self.done = threading.Event()

    def run(self) -> None:
        client = redis.Redis.from_url(redis_url(), socket_timeout=5)
        try:
            while not self.done.wait(0.05):
                self.seen.update(client.scan_iter(match=self.pattern))
        finally:
            client.close()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    with running_cluster(tmp_path_factory.mktemp("cluster")) as running:
        yield running


def test_fifty_conversations_alternating_between_two_replicas(cluster: Cluster) -> None:
    invoices = open_invoices()
    run = uuid.uuid4().hex[:8]
    senders = [f"scaleout-{run}-{index:02d}" for index in range(CITIZENS)]
    scripts = [script(index, invoices) for index in range(CITIZENS)]
    for index in range(2):
        endpoints = yaml.safe_load((cluster.folder / f"endpoints-{index}.yml").read_text())
        assert endpoints["lock_store"]["type"] == LOCK_STORE_CLASS
    watcher = LockWatcher(cluster.redis_prefix)
    watcher.start()
    began = time.monotonic()
    try:
        results = asyncio.run(talk_all(cluster, senders, scripts))
    except TurnFailed as failed:
        pytest.fail(f"{failed}; ended processes: {cluster.exited()}\n{cluster.log_tail(8000)}")
    finally:
        watcher.done.set()
        watcher.join(timeout=30)
    print("\n" + latency_summary(results, time.monotonic() - began))
    print(f"locks of {len(watcher.seen)} conversations seen in Redis during the run")
    assert watcher.seen, "no lock ever appeared in Redis: the replicas do not lock through it"

    for sender, steps in zip(senders, results, strict=True):
        for step in steps:
            for sent in step:
                text = "\n".join(sent.replies)
                assert sent.turn.expected in text, f"{sender}: {sent.turn.message!r} -> {text!r}"
    replicas_used = Counter(s.replica for c in results for step in c for s in step)
    assert set(replicas_used) == {0, 1}

    # The pairs really were in flight together, so the lock store had something to do.
    pairs = [step for c in results for step in c if len(step) == 2]
    assert len(pairs) == CITIZENS // PAIR_EVERY
    for first, second in pairs:
        assert {first.replica, second.replica} == {0, 1}
        assert max(first.started, second.started) < min(first.finished, second.finished)

    stored = stored_events(cluster)
    checked = 0
    for sender, steps in zip(senders, results, strict=True):
        events = stored.get(sender, [])
        check_conversation(sender, steps, events)
        from_api = [api_events(cluster, replica, sender) for replica in (0, 1)]
        assert [essence(e) for e in from_api[0]] == [essence(e) for e in events], sender
        assert [essence(e) for e in from_api[1]] == [essence(e) for e in events], sender
        checked += len(events)
    print(f"{checked} stored events checked against both replicas' tracker API")

    # Every ticket was returned: no lock is left behind for a later message to wait on.
    client = redis.Redis.from_url(redis_url(), socket_timeout=5)
    try:
        assert list(client.scan_iter(match=f"{cluster.redis_prefix}:lock:*")) == []
    finally:
        client.close()
