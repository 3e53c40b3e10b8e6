"""The console's settings, read from the environment with the contract's names."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from bot.settings import data_dir, resolve

# Beside the other runtime state: `sqlite:///var/console.db` with the default VAR_DIR.
DEFAULT_CONSOLE_DB_FILE = "console.db"


@dataclass(frozen=True)
class ConsoleConfig:
    console_db_url: str
    tracker_db_url: str
    admin_user: str
    admin_password: str
    session_secret: str
    rasa_url: str
    rasa_jwt_secret: str
    session_hours: float = 8.0
    # the portal API, for the dashboard's failed mails and returned collections
    portal_url: str = ""
    portal_token: str = ""
    # the city's data folder: its street register and public phone numbers (pseudonymisation)
    data_dir: Path = Path("data")
    # how long an admin's reveal of one conversation lasts (console/reveal.py)
    reveal_minutes: int = 15


def from_env(env: Mapping[str, str] | None = None) -> ConsoleConfig:
    """Resolves like every service (defaults, `.env`, environment, random secrets)."""
    settings = resolve(env)
    values = settings.env
    return ConsoleConfig(
        console_db_url=values.get("CONSOLE_DB_URL")
        or f"sqlite:///{values['VAR_DIR']}/{DEFAULT_CONSOLE_DB_FILE}",
        tracker_db_url=values["TRACKER_DB_URL"],
        admin_user=values["CONSOLE_ADMIN_USER"],
        admin_password=values["CONSOLE_ADMIN_PASSWORD"],
        session_secret=values["CONSOLE_SESSION_SECRET"],
        rasa_url=values["RASA_URL"],
        rasa_jwt_secret=values["RASA_JWT_SECRET"],
        portal_url=values["PORTAL_URL"],
        portal_token=values["PORTAL_API_TOKEN"],
        data_dir=data_dir(values),
        reveal_minutes=_whole(values.get("CONSOLE_REVEAL_MINUTES") or "15", 1, 8 * 60),
    )


def _whole(text: str, low: int, high: int) -> int:
    """A whole number within bounds, or the setting is refused at start.

    >>> _whole("15", 1, 60)
    15
    >>> _whole("0", 1, 60)
    Traceback (most recent call last):
    ...
    ValueError: CONSOLE_REVEAL_MINUTES must be a whole number from 1 to 60, not '0'
    """
    try:
        value = int(text.strip())
    except ValueError:
        value = low - 1
    if not low <= value <= high:
        raise ValueError(
            f"CONSOLE_REVEAL_MINUTES must be a whole number from {low} to {high}, not {text!r}"
        )
    return value
