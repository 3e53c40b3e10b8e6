"""Writes Rasa's endpoints file from the settings.

Rasa reads action server, tracker store and lock store from one YAML file. Which lock store
applies depends on whether `REDIS_URL` is set, which a static file cannot express, so the
launcher writes `var/endpoints.yml` at every start.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from bot.settings import Settings, resolve

TRACKER_STORE_CLASS = "bot.tracker_store.RedactingSQLTrackerStore"
# Rasa's own `redis` lock store issues tickets with a GET and a SET: two replicas taking a
# message of one conversation at the same moment both get in (see bot/lock_store.py).
LOCK_STORE_CLASS = "bot.lock_store.AtomicRedisLockStore"
DEFAULT_KEY_PREFIX = "buergerbot"


def redis_lock_store(url: str, key_prefix: str = DEFAULT_KEY_PREFIX) -> dict[str, Any]:
    """Rasa's Redis lock store (and ours, its subclass) takes host/port/db/password, not a URL.

    Every replica of one assistant must use the same `key_prefix`; a second assistant (or a
    test) on the same Redis uses another one so that their locks never meet.
    """
    if not key_prefix.isalnum():
        # Rasa would silently fall back to its default prefix and share locks with strangers.
        raise ValueError(f"REDIS_KEY_PREFIX must be letters and digits only, not {key_prefix!r}")
    parts = urlsplit(url)
    store: dict[str, Any] = {
        "type": LOCK_STORE_CLASS,
        "url": parts.hostname or "127.0.0.1",
        "port": parts.port or 6379,
        "db": int(parts.path.lstrip("/") or 0),
        "key_prefix": key_prefix,
    }
    if parts.password:
        store["password"] = parts.password
    if parts.scheme == "rediss":
        store["use_ssl"] = True
    return store


def endpoints(settings: Settings) -> dict[str, Any]:
    env = settings.env
    config: dict[str, Any] = {
        "action_endpoint": {"url": env["ACTIONS_URL"]},
        "tracker_store": {"type": TRACKER_STORE_CLASS, "url": env["TRACKER_DB_URL"]},
    }
    if env.get("REDIS_URL"):
        prefix = env.get("REDIS_KEY_PREFIX") or DEFAULT_KEY_PREFIX
        config["lock_store"] = redis_lock_store(env["REDIS_URL"], prefix)
    return config


def write_endpoints(settings: Settings, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(endpoints(settings), sort_keys=False), encoding="utf-8")
    return path


def main(argv: list[str] | None = None) -> int:
    """`python -m bot.endpoints PATH`: writes the endpoints file from the environment.

    For a Rasa replica started without the launcher (a container, a Kubernetes pod): the same
    file `make run` writes, so every deployment configures the stores in one place.
    """
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m bot.endpoints PATH", file=sys.stderr)
        return 2
    try:
        path = write_endpoints(resolve(), Path(args[0]))
    except (OSError, ValueError) as exc:
        print(f"bot.endpoints: {exc}", file=sys.stderr)
        return 1
    print(f"bot.endpoints: wrote {path}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
