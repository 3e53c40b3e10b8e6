"""Portal settings, read once from the environment at start."""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from portal import crypto, limits
from rules import creditor_id as creditor_id_rules

ROOT = Path(__file__).resolve().parent.parent


class SettingsError(RuntimeError):
    """A setting is missing or wrong; the message tells the operator what to fix."""


def data_folder(env: dict[str, str]) -> Path:
    """`DATA_DIR`, the city's data folder (default `data`; relative to the repository root)."""
    path = Path(env.get("DATA_DIR") or "data")
    return path if path.is_absolute() else ROOT / path


def city_creditor_name(folder: Path) -> str:
    """The creditor's name from the city's data (`creditor_name`, else `city_name`): the default
    of `CREDITOR_NAME`, so that no city's name is written in code."""
    path = folder / "city.yml"
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise SettingsError(f"CREDITOR_NAME is not set and {path} cannot be read: {exc}") from exc
    name = (raw.get("creditor_name") or raw.get("city_name")) if isinstance(raw, dict) else None
    if not name:
        raise SettingsError(f"CREDITOR_NAME is not set and {path} names no creditor_name.")
    return str(name)


def _default_creditor_name() -> str:
    return city_creditor_name(data_folder({}))


@dataclass(frozen=True)
class Settings:
    api_token: str
    db_url: str
    bind_host: str = "127.0.0.1"
    port: int = 8080
    var_dir: Path = Path("var")
    data_dir: Path = ROOT / "data"
    public_url: str = "http://127.0.0.1:8080"
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 2525
    smtp_user: str | None = None
    smtp_password: str | None = None
    mail_from: str = "buergerbot@localhost"
    creditor_id: str = "DE98ZZZ09999999999"
    creditor_name: str = field(default_factory=_default_creditor_name)
    creditor_iban: str = "DE02120300000000202051"
    creditor_bic: str = "BYLADEM1001"
    encryption_key: str | None = None
    code_ttl_seconds: int = 15 * 60
    request_max_size: int = 64 * 1024
    # SEPA pre-notification: days between the notice and the collection (the rulebook's default)
    prenotification_days: int = 14
    # how many days beyond that the scheduled job announces a collection early
    prenotification_lookahead_days: int = 7
    # the outbox: pause after a failed attempt (doubling each time), attempts before "failed"
    outbox_retry_seconds: int = 30
    outbox_max_attempts: int = 8
    # limits on guessing (portal/limits.py): failed lookups allowed per window
    lookup_window_seconds: int = 15 * 60
    lookup_failures_per_kassenzeichen: int = 5
    lookup_failures_per_reference: int = 5
    lookup_failures_per_client: int = 10

    def lookup_limits(self) -> limits.Limits:
        return limits.Limits(
            window=dt.timedelta(seconds=self.lookup_window_seconds),
            per_kassenzeichen=self.lookup_failures_per_kassenzeichen,
            per_reference=self.lookup_failures_per_reference,
            per_client=self.lookup_failures_per_client,
        )

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        """Read the settings; raise `SettingsError` with a clear message when one is wrong."""
        env = dict(os.environ) if env is None else env
        token = env.get("PORTAL_API_TOKEN", "")
        if not token:
            raise SettingsError(
                "PORTAL_API_TOKEN is not set: the portal refuses to start without a bearer token."
            )
        port = _int(env, "PORTAL_PORT", 8080)
        folder = data_folder(env)
        creditor_id = env.get("CREDITOR_ID") or "DE98ZZZ09999999999"
        try:
            creditor_id = creditor_id_rules.validate(creditor_id)
        except ValueError as exc:
            raise SettingsError(
                f"CREDITOR_ID is not a valid SEPA creditor identifier: {exc}"
            ) from exc
        encryption_key = env.get("PORTAL_ENCRYPTION_KEY") or None
        if encryption_key:
            try:
                crypto.key_from_setting(encryption_key)
            except ValueError as exc:
                raise SettingsError(str(exc)) from exc
        return cls(
            api_token=token,
            db_url=_db_url(env.get("PORTAL_DB_URL") or "sqlite:///var/portal.db"),
            bind_host=env.get("BIND_HOST") or "127.0.0.1",
            port=port,
            var_dir=Path(env.get("VAR_DIR") or "var"),
            data_dir=folder,
            public_url=(env.get("PORTAL_PUBLIC_URL") or f"http://127.0.0.1:{port}").rstrip("/"),
            smtp_host=env.get("SMTP_HOST") or "127.0.0.1",
            smtp_port=_int(env, "SMTP_PORT", 2525),
            smtp_user=env.get("SMTP_USER") or None,
            smtp_password=env.get("SMTP_PASSWORD") or None,
            mail_from=env.get("MAIL_FROM") or "buergerbot@localhost",
            creditor_id=creditor_id,
            creditor_name=env.get("CREDITOR_NAME") or city_creditor_name(folder),
            creditor_iban=env.get("CREDITOR_IBAN") or "DE02120300000000202051",
            creditor_bic=env.get("CREDITOR_BIC") or "BYLADEM1001",
            encryption_key=encryption_key,
            code_ttl_seconds=_int(env, "PORTAL_CODE_TTL_SECONDS", 15 * 60),
            prenotification_days=_int(env, "PRENOTIFICATION_DAYS", 14),
            prenotification_lookahead_days=_int(env, "PRENOTIFICATION_LOOKAHEAD_DAYS", 7),
            outbox_retry_seconds=max(1, _int(env, "OUTBOX_RETRY_SECONDS", 30)),
            outbox_max_attempts=max(1, _int(env, "OUTBOX_MAX_ATTEMPTS", 8)),
            lookup_window_seconds=max(1, _int(env, "LOOKUP_WINDOW_SECONDS", 15 * 60)),
            lookup_failures_per_kassenzeichen=max(
                1, _int(env, "LOOKUP_FAILURES_PER_KASSENZEICHEN", 5)
            ),
            lookup_failures_per_reference=max(1, _int(env, "LOOKUP_FAILURES_PER_REFERENCE", 5)),
            lookup_failures_per_client=max(1, _int(env, "LOOKUP_FAILURES_PER_CLIENT", 10)),
        )


def _int(env: dict[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if not raw:
        return default
    if not re.fullmatch(r"[0-9]{1,6}", raw):
        raise SettingsError(f"{name} must be a positive whole number, not {raw!r}.")
    return int(raw)


def _db_url(url: str) -> str:
    """Make sure the folder of a file-based SQLite database exists."""
    prefix = "sqlite:///"
    if url.startswith(prefix) and not url.endswith(":memory:"):
        Path(url[len(prefix) :]).parent.mkdir(parents=True, exist_ok=True)
    return url
