"""Settings from the environment (and `.env`), with the contract's names and defaults.

Every name here is in docs/settings.md. Secrets have no fixed default: an unset secret gets a
random value at start, which the launcher prints once so that an operator can use the APIs.
"""

from __future__ import annotations

import base64
import os
import secrets
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from honcho.environ import parse as parse_dotenv

ROOT = Path(__file__).resolve().parent.parent

PORT_DEFAULTS: dict[str, int] = {
    "RASA_PORT": 5005,
    "ACTIONS_PORT": 5055,
    "PORTAL_PORT": 8080,
    "WEBCHAT_PORT": 8000,
    "CONSOLE_PORT": 8001,
    "SMTP_PORT": 2525,
    # the development SAML identity provider standing in for BundID (devtools/idp)
    "IDP_PORT": 8090,
}


def _fernet_key() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()


def _token() -> str:
    return secrets.token_urlsafe(24)


# Secret name -> how to make a random one. IBAN_TOKEN_KEY must be shared by every action
# server replica, so operators set it explicitly when they run more than one.
SECRET_FACTORIES = {
    "PORTAL_API_TOKEN": _token,
    "RASA_AUTH_TOKEN": _token,
    # Signs the JWTs our services send to Rasa's HTTP API (bot/rasa_auth.py) instead of the
    # token in a query string; 32 bytes, as HS256 wants.
    "RASA_JWT_SECRET": lambda: secrets.token_urlsafe(32),
    # Signs the web chat's session ids (bot/channels/webchat.py); Rasa and the web chat need it.
    "WEBCHAT_SESSION_SECRET": lambda: secrets.token_urlsafe(32),
    "CONSOLE_ADMIN_PASSWORD": _token,
    "IBAN_TOKEN_KEY": _fernet_key,
    "CONSOLE_SESSION_SECRET": _token,
}

STATIC_DEFAULTS: dict[str, str] = {
    "BIND_HOST": "127.0.0.1",
    "CONSOLE_ADMIN_USER": "admin",
    "TRACKER_DB_URL": "sqlite:///var/tracker.db",
    "PORTAL_DB_URL": "sqlite:///var/portal.db",
    "SMTP_HOST": "127.0.0.1",
    "MAIL_FROM": "buergerbot@localhost",
    "CREDITOR_ID": "DE98ZZZ09999999999",
    # The city's facts (docs/demo-city.md); CREDITOR_NAME defaults to the name in its city.yml.
    "DATA_DIR": "data",
    "TELEGRAM_API_URL": "https://api.telegram.org",
    "WHATSAPP_API_URL": "https://graph.facebook.com/v21.0",
    "VAR_DIR": "var",
    # The REST channel is for development, tests and the bench; deployments set it off.
    "REST_CHANNEL": "on",
    # Rasa and TensorFlow: nothing leaves the machine, and the console stays readable.
    "RASA_TELEMETRY_ENABLED": "false",
    "TF_CPP_MIN_LOG_LEVEL": "2",
}


def read_dotenv(path: Path) -> dict[str, str]:
    """Reads KEY=value lines of a `.env` file; a missing file is no error."""
    if not path.is_file():
        return {}
    return dict(parse_dotenv(path.read_text(encoding="utf-8")))


def data_dir(env: Mapping[str, str]) -> Path:
    """The city's data folder; a relative `DATA_DIR` is taken from the repository root."""
    path = Path(env.get("DATA_DIR") or "data")
    return path if path.is_absolute() else ROOT / path


def city_creditor_name(folder: Path) -> str:
    """The default of CREDITOR_NAME: `creditor_name` (else `city_name`) of the city's data."""
    raw = yaml.safe_load((folder / "city.yml").read_text(encoding="utf-8")) or {}
    return str(raw.get("creditor_name") or raw.get("city_name") or "")


@dataclass
class Settings:
    """The resolved environment of every service, and which secrets were generated."""

    env: dict[str, str]
    generated_secrets: list[str] = field(default_factory=list)

    def port(self, name: str) -> int:
        return int(self.env[name])

    def url(self, port_name: str) -> str:
        host = self.env["BIND_HOST"]
        if host in ("0.0.0.0", "::"):  # noqa: S104 - a bind address, shown as loopback
            host = "127.0.0.1"
        return f"http://{host}:{self.port(port_name)}"


def resolve(base: Mapping[str, str] | None = None, dotenv: Path | None = None) -> Settings:
    """Merges defaults, `.env` and the process environment (highest) and fills in secrets."""
    env: MutableMapping[str, str] = {}
    env.update({name: str(port) for name, port in PORT_DEFAULTS.items()})
    env.update(STATIC_DEFAULTS)
    source = base if base is not None else os.environ
    if dotenv is None:
        # Tests point BUERGERBOT_DOTENV elsewhere so that a developer's .env cannot leak in.
        dotenv = Path(source.get("BUERGERBOT_DOTENV") or ROOT / ".env")
    env.update(read_dotenv(dotenv))
    env.update(source)

    generated = []
    for name, factory in SECRET_FACTORIES.items():
        if not env.get(name):
            env[name] = factory()
            generated.append(name)

    if not env.get("CREDITOR_NAME"):
        env["CREDITOR_NAME"] = city_creditor_name(data_dir(env))
    env.setdefault("MAIL_DIR", f"{env['VAR_DIR']}/mail")
    env.setdefault("PORTAL_URL", f"http://127.0.0.1:{env['PORTAL_PORT']}")
    env.setdefault("ACTIONS_URL", f"http://127.0.0.1:{env['ACTIONS_PORT']}/webhook")
    env.setdefault("RASA_URL", f"http://127.0.0.1:{env['RASA_PORT']}")
    # the portal logs in against the development IdP of this system (Procfile); a deployment
    # sets BundID's metadata instead (docs/settings.md)
    env.setdefault("IDP_METADATA", f"http://127.0.0.1:{env['IDP_PORT']}/metadata")
    for name in PORT_DEFAULTS:
        int(env[name])  # a clear ValueError at start beats a confusing bind error later
    return Settings(env=dict(env), generated_secrets=generated)
