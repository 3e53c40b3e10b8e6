"""The console's settings, read from the environment with the contract's names."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from bot.settings import resolve

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
    rasa_token: str
    session_hours: float = 8.0
    # the portal API, for the dashboard's failed mails and returned collections
    portal_url: str = ""
    portal_token: str = ""


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
        rasa_token=values["RASA_AUTH_TOKEN"],
        portal_url=values["PORTAL_URL"],
        portal_token=values["PORTAL_API_TOKEN"],
    )
