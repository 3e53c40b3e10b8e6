"""What the messenger channels (Telegram, WhatsApp) share: limits, sender ids, delivery.

A messenger platform calls our webhook and expects a quick 2xx; the bot's replies go back as
separate HTTP calls to the platform's API. Those calls can fail (429, 5xx, timeouts), so delivery
is retried with backoff, and a delivery that still fails is logged without the message text:
the text may hold personal data, the log is read by operators.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

logger = logging.getLogger(__name__)

# A webhook body larger than this is refused (413) before it is parsed.
MAX_BODY_BYTES = 1_000_000

# Every platform call has a timeout; a slow platform must not hold a conversation forever.
API_TIMEOUT = httpx.Timeout(10.0, connect=5.0)

RATE_LIMITED = (
    "Sie schreiben gerade sehr schnell. Bitte warten Sie einen Moment und schreiben Sie dann "
    "weiter. / You are writing very fast. Please wait a moment, then go on."
)


def namespaced(channel: str, platform_id: object) -> str:
    """The sender id Rasa sees: the channel's name before the platform's own id.

    Telegram's chat 42 and a WhatsApp number 42 are different people; without the prefix they
    would share one conversation (and one payment form).

    >>> namespaced("telegram", 123456789)
    'telegram:123456789'
    >>> namespaced("whatsapp", "4915112345678")
    'whatsapp:4915112345678'
    """
    return f"{channel}:{platform_id}"


def masked_id(platform_id: object) -> str:
    """A platform id for logs: a WhatsApp id is a phone number, so only its end is shown.

    >>> masked_id("4915112345678")
    '…5678'
    >>> masked_id(42)
    '…42'
    """
    return "…" + str(platform_id)[-4:]


def body_too_large(body: bytes | None, content_length: str | None) -> bool:
    """True when a webhook body is over MAX_BODY_BYTES (by its header or its real size).

    >>> body_too_large(b"{}", "2")
    False
    >>> body_too_large(b"", str(MAX_BODY_BYTES + 1))
    True
    >>> body_too_large(b"x" * (MAX_BODY_BYTES + 1), None)
    True
    """
    if content_length and content_length.isdigit() and int(content_length) > MAX_BODY_BYTES:
        return True
    return len(body or b"") > MAX_BODY_BYTES


def split_text(text: str, limit: int) -> list[str]:
    """Splits a reply into parts of at most `limit` characters, at paragraph, line or word ends.

    >>> split_text("kurz", 10)
    ['kurz']
    >>> split_text("eins zwei drei vier", 10)
    ['eins zwei', 'drei vier']
    >>> split_text("Absatz eins.\\n\\nAbsatz zwei.", 15)
    ['Absatz eins.', 'Absatz zwei.']
    >>> split_text("x" * 25, 10)
    ['xxxxxxxxxx', 'xxxxxxxxxx', 'xxxxx']
    """
    parts: list[str] = []
    rest = text.strip()
    while len(rest) > limit:
        window = rest[: limit + 1]
        cut = -1
        for separator in ("\n\n", "\n", " "):
            cut = window.rfind(separator)
            if cut > 0:
                break
        if cut <= 0:  # one word longer than the limit: cut it hard
            cut = limit
        parts.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        parts.append(rest)
    return parts


@dataclass
class SenderRateLimit:
    """A token bucket per sender: `burst` messages at once, then `per_minute` on average.

    In-process, so with several Rasa replicas each replica counts on its own; the platforms
    pin a chat to one webhook URL, and the limit protects the replica, not a global quota.

    >>> limit = SenderRateLimit(burst=2, per_minute=60)
    >>> [limit.allow("a", now=0.0) for _ in range(3)]
    [True, True, False]
    >>> limit.allow("b", now=0.0)
    True
    >>> limit.allow("a", now=1.0)
    True
    """

    # 20 at once is more than a person types, even a scripted conversation with corrections
    # fits; 30 a minute after that keeps one flooding sender from taking the Rasa server's time.
    burst: int = 20
    per_minute: float = 30.0
    max_senders: int = 10_000
    _buckets: OrderedDict[str, tuple[float, float]] = field(default_factory=OrderedDict)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> SenderRateLimit:
        """`CHANNEL_RATE_BURST` and `CHANNEL_RATE_PER_MINUTE`, when set, else the defaults.

        >>> SenderRateLimit.from_env({}).burst, SenderRateLimit.from_env({}).per_minute
        (20, 30.0)
        >>> env = {"CHANNEL_RATE_BURST": "5", "CHANNEL_RATE_PER_MINUTE": "6"}
        >>> limit = SenderRateLimit.from_env(env)
        >>> limit.burst, limit.per_minute
        (5, 6.0)
        >>> SenderRateLimit.from_env({"CHANNEL_RATE_BURST": "0"})
        Traceback (most recent call last):
        ValueError: CHANNEL_RATE_BURST must be a whole number of at least 1, not '0'
        """
        burst = env.get("CHANNEL_RATE_BURST") or str(cls.burst)
        per_minute = env.get("CHANNEL_RATE_PER_MINUTE") or str(cls.per_minute)
        if not burst.isdigit() or int(burst) < 1:
            raise ValueError(
                f"CHANNEL_RATE_BURST must be a whole number of at least 1, not {burst!r}"
            )
        try:
            rate = float(per_minute)
        except ValueError:
            rate = 0.0
        if not rate > 0:
            raise ValueError(
                f"CHANNEL_RATE_PER_MINUTE must be a number above 0, not {per_minute!r}"
            )
        return cls(burst=int(burst), per_minute=rate)

    def allow(self, sender: str, now: float | None = None) -> bool:
        now = time.monotonic() if now is None else now
        tokens, last = self._buckets.pop(sender, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - last) * self.per_minute / 60.0)
        allowed = tokens >= 1.0
        self._buckets[sender] = (tokens - 1.0 if allowed else tokens, now)
        while len(self._buckets) > self.max_senders:  # forget the longest-quiet senders
            self._buckets.popitem(last=False)
        return allowed


@dataclass
class SeenIds:
    """Remembers the last platform message ids, so that a redelivered update is handled once.

    Platforms redeliver a webhook when our answer was slow or lost; the citizen must not get
    two payment forms for one message.

    >>> seen = SeenIds(size=2)
    >>> seen.first_time("1"), seen.first_time("1"), seen.first_time("2"), seen.first_time("3")
    (True, False, True, True)
    >>> seen.first_time("1")
    True
    """

    size: int = 5000
    _ids: OrderedDict[str, None] = field(default_factory=OrderedDict)

    def first_time(self, platform_id: str) -> bool:
        if platform_id in self._ids:
            return False
        self._ids[platform_id] = None
        while len(self._ids) > self.size:
            self._ids.popitem(last=False)
        return True


def retry_delay(response: httpx.Response | None, attempt: int, base: float) -> float:
    """Seconds to wait before the next attempt: the platform's Retry-After when it says so
    (header, or Telegram's `parameters.retry_after`), else exponential backoff; at most 30 s.

    >>> retry_delay(None, 0, 0.5), retry_delay(None, 2, 0.5)
    (0.5, 2.0)
    >>> retry_delay(httpx.Response(429, headers={"Retry-After": "3"}), 0, 0.5)
    3.0
    >>> retry_delay(httpx.Response(429, json={"parameters": {"retry_after": 7}}), 0, 0.5)
    7.0
    """
    delay: float = base * (2**attempt)
    if response is not None:
        header = response.headers.get("Retry-After", "")
        if header.isdigit():
            delay = float(header)
        else:
            try:
                body: object = response.json()
            except ValueError:
                body = None
            if isinstance(body, dict) and isinstance(body.get("parameters"), dict):
                hinted = body["parameters"].get("retry_after")
                if isinstance(hinted, int | float):
                    delay = float(hinted)
    return min(delay, 30.0)


def _retryable(status: int) -> bool:
    return status == 429 or status >= 500


@dataclass
class Delivery:
    """Sends one API call to a platform, retrying 429, 5xx and network errors with backoff.

    `describe` names what is sent for the log ("sendMessage to chat …1234", see `masked_id`),
    never its text.
    """

    channel: str
    headers: Mapping[str, str] = field(default_factory=dict)
    attempts: int = 4
    backoff: float = 0.5
    client_factory: Callable[[], httpx.AsyncClient] = field(
        default=lambda: httpx.AsyncClient(timeout=API_TIMEOUT)
    )
    _client: httpx.AsyncClient | None = None

    def _http(self) -> httpx.AsyncClient:
        # One client per channel keeps connections to the platform open between replies.
        if self._client is None or self._client.is_closed:
            self._client = self.client_factory()
        return self._client

    async def post(self, url: str, payload: dict[str, Any], describe: str) -> dict[str, Any] | None:
        """The platform's JSON answer, or None when every attempt failed (already logged)."""
        problem = ""
        made = 0
        for attempt in range(self.attempts):
            made += 1
            response: httpx.Response | None = None
            try:
                response = await self._http().post(url, json=payload, headers=dict(self.headers))
            except httpx.HTTPError as error:
                problem = type(error).__name__
            else:
                if response.is_success:
                    try:
                        answer = response.json()
                    except ValueError:
                        answer = {}
                    return answer if isinstance(answer, dict) else {}
                problem = f"HTTP {response.status_code}"
                if not _retryable(response.status_code):
                    break
            if attempt + 1 < self.attempts:
                await asyncio.sleep(retry_delay(response, attempt, self.backoff))
        logger.error(
            "%s delivery failed: %s (%s, %d attempts); the message text is not logged",
            self.channel,
            describe,
            problem,
            made,
        )
        return None
