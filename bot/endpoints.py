"""Writes Rasa's endpoints file from the settings.

Rasa reads action server, tracker store and lock store from one YAML file. Which lock store
applies depends on whether `REDIS_URL` is set, which a static file cannot express, so the
launcher writes `var/endpoints.yml` at every start.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from bot.settings import Settings

TRACKER_STORE_CLASS = "bot.tracker_store.RedactingSQLTrackerStore"


def redis_lock_store(url: str) -> dict[str, Any]:
    """Rasa's RedisLockStore takes host/port/db/password, not a URL."""
    parts = urlsplit(url)
    store: dict[str, Any] = {
        "type": "redis",
        "url": parts.hostname or "127.0.0.1",
        "port": parts.port or 6379,
        "db": int(parts.path.lstrip("/") or 0),
        "key_prefix": "buergerbot",
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
        config["lock_store"] = redis_lock_store(env["REDIS_URL"])
    return config


def write_endpoints(settings: Settings, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(endpoints(settings), sort_keys=False), encoding="utf-8")
    return path
