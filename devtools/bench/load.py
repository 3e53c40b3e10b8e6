"""The load generator: simulated citizens talking to a Rasa server's REST channel at once.

Each citizen is a task with its own sender ids, sending one message, waiting for the reply and
checking it, like a person in a chat (no think time: this is the day the tax notices arrive).
An unexpected reply, a status other than 200 or a timeout is an error and ends that
conversation, since the next message would no longer fit.
"""

from __future__ import annotations

import asyncio
import random
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
from tqdm import tqdm

from devtools.bench.scenarios import Conversation, Turn
from devtools.bench.stats import TurnResult

WEBHOOK = "/webhooks/rest/webhook"


@dataclass
class LoadResult:
    results: list[TurnResult]
    conversations: int
    seconds: float


class _Plan:
    """Hands out conversation numbers until the count or the time is used up."""

    def __init__(self, conversations: int, duration: float | None) -> None:
        self.remaining = conversations
        self.deadline = None if duration is None else time.monotonic() + duration

    def take(self) -> bool:
        if self.remaining <= 0 or (self.deadline is not None and time.monotonic() > self.deadline):
            return False
        self.remaining -= 1
        return True


def _reply_text(replies: list[dict[str, Any]]) -> str:
    return "\n".join(str(reply.get("text", "")) for reply in replies)


def _last_buttons(replies: list[dict[str, Any]]) -> list[dict[str, Any]]:
    offered = [reply["buttons"] for reply in replies if isinstance(reply.get("buttons"), list)]
    return list(offered[-1]) if offered else []


def check_reply(turn: Turn, status: int, body: Any) -> str | None:
    """What was wrong with a reply, or None when it says what the turn expects.

    >>> t = Turn("greet", "hello", ("Hey!",))
    >>> check_reply(t, 200, [{"text": "Hey! How are you?"}]) is None
    True
    >>> check_reply(t, 500, None)
    'HTTP 500'
    >>> check_reply(t, 200, [{"text": "Bye"}])
    "unexpected reply to 'hello' (missing 'Hey!'): 'Bye'"
    """
    if status != 200:
        return f"HTTP {status}"
    if not isinstance(body, list):
        return f"reply is not a list of messages: {str(body)[:120]!r}"
    text = _reply_text(body)
    missing = [part for part in turn.expect if part not in text]
    if missing:
        return f"unexpected reply to {turn.message!r} (missing {missing[0]!r}): {text[:160]!r}"
    return None


async def _turn(
    client: httpx.AsyncClient, sender: str, turn: Turn, message: str
) -> tuple[TurnResult, list[dict[str, Any]]]:
    started = time.monotonic()
    clock = time.perf_counter()
    try:
        response = await client.post(WEBHOOK, json={"sender": sender, "message": message})
        latency = (time.perf_counter() - clock) * 1000
        body: Any = response.json() if response.status_code == 200 else None
        error = check_reply(turn, response.status_code, body)
    except httpx.TimeoutException:
        latency, body, error = (time.perf_counter() - clock) * 1000, None, "timeout"
    except (httpx.HTTPError, ValueError) as exc:
        latency, body, error = (time.perf_counter() - clock) * 1000, None, type(exc).__name__
    replies = body if isinstance(body, list) else []
    return TurnResult(turn.kind, started, latency, error), replies


async def _converse(
    client: httpx.AsyncClient, sender: str, conversation: Conversation
) -> list[TurnResult]:
    results: list[TurnResult] = []
    buttons: list[dict[str, Any]] = []
    for turn in conversation.turns:
        message = turn.message
        if turn.press_button:
            if not buttons:
                results.append(TurnResult(turn.kind, time.monotonic(), 0.0, "no button offered"))
                return results
            # A random offered day, as people choose: all on the first would fill it (the
            # portal takes 20 pickups a day) and turn later bookings into refusals.
            message = str(random.choice(buttons).get("payload", ""))
        result, replies = await _turn(client, sender, turn, message)
        results.append(result)
        if result.error is not None:
            return results
        buttons = _last_buttons(replies)
    return results


async def _citizen(
    number: int,
    client: httpx.AsyncClient,
    plan: _Plan,
    conversations_for: Callable[[int], list[Conversation]],
    sender_prefix: str,
    sink: list[TurnResult],
    bar: tqdm[Any],
) -> int:
    mix = conversations_for(number)
    done = 0
    while plan.take():
        conversation = mix[done % len(mix)]
        results = await _converse(client, f"{sender_prefix}-c{number}-{done}", conversation)
        sink.extend(results)
        done += 1
        bar.update(1)
        bar.set_postfix(
            turns=len(sink), errors=sum(r.error is not None for r in sink), refresh=False
        )
    return done


async def run_load(
    base_url: str,
    conversations_for: Callable[[int], list[Conversation]],
    *,
    citizens: int,
    conversations: int,
    duration: float | None = None,
    timeout: float = 30.0,
    sender_prefix: str,
    label: str,
    progress: bool = True,
) -> LoadResult:
    """Runs `citizens` concurrent citizens until `conversations` are done or `duration` is up."""
    sink: list[TurnResult] = []
    plan = _Plan(conversations, duration)
    limits = httpx.Limits(max_connections=citizens, max_keepalive_connections=citizens)
    bar: tqdm[Any] = tqdm(
        total=conversations, desc=label, unit="conv", file=sys.stderr, disable=not progress
    )
    started = time.monotonic()
    async with httpx.AsyncClient(
        base_url=base_url, timeout=httpx.Timeout(timeout), limits=limits
    ) as client:
        done = await asyncio.gather(
            *(
                _citizen(n, client, plan, conversations_for, sender_prefix, sink, bar)
                for n in range(citizens)
            )
        )
    seconds = time.monotonic() - started
    bar.close()
    return LoadResult(sink, sum(done), seconds)
