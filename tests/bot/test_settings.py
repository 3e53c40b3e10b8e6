"""Settings: the contract's defaults, `.env` below the environment, and no fixed secrets."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.endpoints import endpoints, redis_lock_store
from bot.endpoints import main as endpoints_main
from bot.settings import PORT_DEFAULTS, SECRET_FACTORIES, resolve


def test_contract_defaults(tmp_path: Path) -> None:
    settings = resolve({}, dotenv=tmp_path / "missing.env")
    assert {name: settings.port(name) for name in PORT_DEFAULTS} == {
        "RASA_PORT": 5005,
        "ACTIONS_PORT": 5055,
        "PORTAL_PORT": 8080,
        "WEBCHAT_PORT": 8000,
        "CONSOLE_PORT": 8001,
        "SMTP_PORT": 2525,
        "IDP_PORT": 8090,
    }
    assert settings.env["BIND_HOST"] == "127.0.0.1"
    assert settings.env["TRACKER_DB_URL"] == "sqlite:///var/tracker.db"
    assert settings.env["PORTAL_DB_URL"] == "sqlite:///var/portal.db"
    assert settings.env["RASA_TELEMETRY_ENABLED"] == "false"
    assert settings.env["CREDITOR_ID"] == "DE98ZZZ09999999999"


def test_unset_secrets_are_random_and_reported(tmp_path: Path) -> None:
    first = resolve({}, dotenv=tmp_path / "none")
    second = resolve({}, dotenv=tmp_path / "none")
    assert sorted(first.generated_secrets) == sorted(SECRET_FACTORIES)
    for name in SECRET_FACTORIES:
        assert len(first.env[name]) >= 24
        assert first.env[name] != second.env[name]


def test_environment_beats_dotenv_and_set_secrets_are_kept(tmp_path: Path) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text("RASA_PORT=6000\nPORTAL_API_TOKEN=from-dotenv\nCONSOLE_PORT=7000\n")
    settings = resolve({"RASA_PORT": "6001"}, dotenv=dotenv)
    assert settings.port("RASA_PORT") == 6001
    assert settings.port("CONSOLE_PORT") == 7000
    assert settings.env["PORTAL_API_TOKEN"] == "from-dotenv"
    assert "PORTAL_API_TOKEN" not in settings.generated_secrets
    assert settings.env["PORTAL_URL"] == "http://127.0.0.1:8080"


def test_bind_host_for_all_interfaces_is_shown_as_loopback(tmp_path: Path) -> None:
    settings = resolve({"BIND_HOST": "0.0.0.0"}, dotenv=tmp_path / "none")
    assert settings.url("RASA_PORT") == "http://127.0.0.1:5005"


def test_lock_store_is_redis_only_when_redis_url_is_set(tmp_path: Path) -> None:
    assert "lock_store" not in endpoints(resolve({}, dotenv=tmp_path / "none"))
    settings = resolve({"REDIS_URL": "redis://:pw@127.0.0.1:6380/2"}, dotenv=tmp_path / "none")
    assert endpoints(settings)["lock_store"] == redis_lock_store("redis://:pw@127.0.0.1:6380/2")
    assert redis_lock_store("redis://:pw@127.0.0.1:6380/2") == {
        "type": "bot.lock_store.AtomicRedisLockStore",
        "url": "127.0.0.1",
        "port": 6380,
        "db": 2,
        "key_prefix": "buergerbot",
        "password": "pw",
    }


def test_tracker_store_is_the_redacting_one(tmp_path: Path) -> None:
    config = endpoints(resolve({"TRACKER_DB_URL": "postgresql://x/y"}, dotenv=tmp_path / "n"))
    assert config["tracker_store"] == {
        "type": "bot.tracker_store.RedactingSQLTrackerStore",
        "url": "postgresql://x/y",
    }


def test_redis_key_prefix_is_configurable_and_checked(tmp_path: Path) -> None:
    env = {"REDIS_URL": "redis://127.0.0.1:6379/0", "REDIS_KEY_PREFIX": "marburg2"}
    assert endpoints(resolve(env, dotenv=tmp_path / "n"))["lock_store"]["key_prefix"] == "marburg2"
    with pytest.raises(ValueError, match="letters and digits"):
        endpoints(resolve({**env, "REDIS_KEY_PREFIX": "mar:burg"}, dotenv=tmp_path / "n"))


def test_endpoints_command_writes_the_file_a_replica_reads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BUERGERBOT_DOTENV", str(tmp_path / "none"))
    monkeypatch.setenv("ACTIONS_URL", "http://actions-2:5055/webhook")
    monkeypatch.setenv("REDIS_URL", "redis://:secret@redis:6379/1")
    assert endpoints_main([str(tmp_path / "endpoints.yml")]) == 0
    written = yaml.safe_load((tmp_path / "endpoints.yml").read_text())
    assert written["action_endpoint"] == {"url": "http://actions-2:5055/webhook"}
    assert written["lock_store"]["url"] == "redis" and written["lock_store"]["db"] == 1
    assert endpoints_main([]) == 2
