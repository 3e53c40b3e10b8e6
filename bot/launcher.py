"""Starts every service of the Procfile under honcho and says which URL is what.

One process manager for all services, so that Ctrl-C stops them all and a crash of one stops
the rest instead of leaving a half-working system behind.
"""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path

from honcho.environ import parse_procfile
from honcho.manager import Manager

from bot.endpoints import write_endpoints
from bot.health import Service, services, wait_until_ready
from bot.settings import ROOT, Settings

READY_TIMEOUT = 300.0


def print_secrets(settings: Settings) -> None:
    """An unset secret got a random value: print it once so the operator can use the APIs."""
    if not settings.generated_secrets:
        return
    print("Generated secrets for this run (set them in .env to keep them):", flush=True)
    for name in settings.generated_secrets:
        print(f"  {name}={settings.env[name]}", flush=True)


def url_table(ready: list[Service]) -> str:
    width = max(len(service.title) for service in ready)
    lines = [f"  {service.title.ljust(width)}  {service.url}" for service in ready]
    return "\n".join(["", "buergerbot is ready:", *lines, "", "Ctrl-C stops everything.", ""])


def _announce_when_ready(settings: Settings, manager: Manager, stopped: threading.Event) -> None:
    checks = services(settings)
    pending = wait_until_ready(checks, READY_TIMEOUT, stop=stopped.is_set)
    if stopped.is_set():
        return
    if pending:
        names = ", ".join(service.name for service in pending)
        print(f"\nNot ready after {READY_TIMEOUT:.0f} s: {names}. See the log above.", flush=True)
        manager.terminate()
        return
    print(url_table(checks), flush=True)


def process_env(settings: Settings, model: Path) -> dict[str, str]:
    env = {**os.environ, **settings.env, "RASA_MODEL": str(model), "PYTHONUNBUFFERED": "1"}
    # The Procfile names `python` and `rasa`: both must be this virtualenv's.
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONPATH"] = str(ROOT)
    # Rasa's dependencies print pages of deprecation warnings that bury the useful lines.
    env.setdefault("PYTHONWARNINGS", "ignore::DeprecationWarning,ignore::UserWarning")
    return env


def run(settings: Settings, model: Path, procfile: Path = ROOT / "Procfile") -> int:
    """Runs all services in the foreground; returns honcho's exit code."""
    var_dir = ROOT / settings.env["VAR_DIR"]
    for sub in ("", "mail", "logs", "keys"):
        (var_dir / sub).mkdir(parents=True, exist_ok=True)
    write_endpoints(settings, var_dir / "endpoints.yml")
    print_secrets(settings)

    env = process_env(settings, model)
    manager = Manager()
    for name, command in parse_procfile(procfile.read_text(encoding="utf-8")).processes.items():
        manager.add_process(name, command, env=env, cwd=str(ROOT))

    stopped = threading.Event()
    watcher = threading.Thread(
        target=_announce_when_ready, args=(settings, manager, stopped), daemon=True
    )
    watcher.start()
    try:
        manager.loop()
    finally:
        stopped.set()
    return int(manager.returncode or 0)
