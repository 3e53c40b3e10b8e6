"""Two Rasa replicas as real processes, the way several machines would run them.

One mail sink, one portal on a fresh PostgreSQL database, two action servers (same
`PORTAL_API_TOKEN` and `IBAN_TOKEN_KEY`) and two Rasa servers, each pointed at its own action
server, sharing one PostgreSQL tracker store and the Redis lock store under a key prefix of
their own. Everything binds 127.0.0.1 on free ports; the databases (on the tests' PostgreSQL)
and the Redis keys (on the tests' Redis, tests/support/services.py) are removed afterwards.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

from bot.endpoints import write_endpoints
from bot.health import Service, http_ok, smtp_ok, wait_until_ready
from bot.launcher import process_env
from bot.rasa_auth import bearer
from bot.settings import ROOT, resolve
from bot.training import model_path
from devtools.processes import free_ports, isolated_env, stop
from tests.support.services import postgresql_database, redis_keys_removed

READY_TIMEOUT = 420.0
REPLICAS = 2


@dataclass
class Cluster:
    folder: Path
    env: dict[str, str]
    rasa_urls: list[str]
    tracker_db: str
    redis_prefix: str
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    @property
    def token(self) -> str:
        return self.env["RASA_AUTH_TOKEN"]

    def rasa_headers(self) -> dict[str, str]:
        """A JWT for Rasa's HTTP API in the header (bot/rasa_auth.py), never a URL token."""
        return bearer(self.env["RASA_JWT_SECRET"], username="tests")

    def exited(self) -> dict[str, int]:
        """The processes that have ended, with their exit codes (a signal is negative)."""
        return {n: p.returncode for n, p in self.processes.items() if p.poll() is not None}

    def log_tail(self, chars: int = 3000) -> str:
        parts = []
        for name in self.processes:
            text = (self.folder / f"{name}.log").read_text(encoding="utf-8", errors="replace")
            parts.append(f"--- {name} ---\n{text[-chars:]}")
        return "\n".join(parts)


def _start(cluster: Cluster, name: str, command: list[str], env: dict[str, str]) -> None:
    with (cluster.folder / f"{name}.log").open("wb") as out:
        cluster.processes[name] = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip


def _replica_env(base: dict[str, str], rasa_port: int, actions_port: int) -> dict[str, str]:
    return {
        **base,
        "RASA_PORT": str(rasa_port),
        "ACTIONS_PORT": str(actions_port),
        "ACTIONS_URL": f"http://127.0.0.1:{actions_port}/webhook",
        "SANIC_HOST": "127.0.0.1",
    }


def _start_all(cluster: Cluster, model: Path) -> list[Service]:
    """Starts every process at once (Rasa loads its model meanwhile); returns the checks."""
    env = cluster.env
    python = sys.executable
    rasa = [python, "-m", "bot.rasa_server"]  # as the Procfile: with bot.patches applied
    _start(cluster, "mailsink", [python, "-m", "devtools.mailsink"], env)
    _start(cluster, "portal", [python, "-m", "portal"], env)
    checks = [
        Service("mailsink", "", "", smtp_ok("127.0.0.1", int(env["SMTP_PORT"]))),
        Service("portal", "", "", http_ok(f"{env['PORTAL_URL']}/health")),
    ]
    rasa_ports, actions_ports = free_ports(REPLICAS), free_ports(REPLICAS)
    for index, (rasa_port, actions_port) in enumerate(zip(rasa_ports, actions_ports, strict=True)):
        replica = _replica_env(env, rasa_port, actions_port)
        endpoints = write_endpoints(
            resolve(replica, dotenv=Path(os.devnull)), cluster.folder / f"endpoints-{index}.yml"
        )
        _start(cluster, f"actions-{index}",
               [python, "-m", "rasa_sdk", "--actions", "actions", "--port", str(actions_port)],
               replica)  # fmt: skip
        _start(cluster, f"rasa-{index}", [
            *rasa, "run", "--model", str(model), "--enable-api", f"--auth-token={cluster.token}",
            f"--jwt-secret={env['RASA_JWT_SECRET']}", "--jwt-method=HS256",
            "--interface", "127.0.0.1", "--port", str(rasa_port),
            "--endpoints", str(endpoints), "--credentials", "bot/credentials.yml",
        ], replica)  # fmt: skip
        url = f"http://127.0.0.1:{rasa_port}"
        cluster.rasa_urls.append(url)
        checks += [
            Service(f"actions-{index}", "", "", http_ok(f"http://127.0.0.1:{actions_port}/health")),
            Service(f"rasa-{index}", "", "", http_ok(f"{url}/status", cluster.rasa_headers)),
        ]
    return checks


@contextmanager
def running_cluster(folder: Path) -> Iterator[Cluster]:
    model = model_path()
    if not model.is_file():
        raise RuntimeError(f"no trained model at {model}: run `make train` first")
    prefix = "scaleout" + uuid.uuid4().hex[:10]
    with ExitStack() as cleanup:
        tracker_db = cleanup.enter_context(postgresql_database("tracker_scaleout"))
        portal_db = cleanup.enter_context(postgresql_database("portal_scaleout"))
        redis_url = cleanup.enter_context(redis_keys_removed(prefix))
        extra = {
            "TRACKER_DB_URL": tracker_db,
            "PORTAL_DB_URL": portal_db,
            "REDIS_URL": redis_url,
            "REDIS_KEY_PREFIX": prefix,
        }
        settings = resolve(isolated_env(folder, extra), dotenv=Path(os.devnull))
        cluster = Cluster(folder, process_env(settings, model), [], tracker_db, prefix)
        for sub in ("mail", "keys", "logs"):
            (Path(cluster.env["VAR_DIR"]) / sub).mkdir(parents=True, exist_ok=True)
        try:
            checks = _start_all(cluster, model)
            pending = wait_until_ready(
                checks,
                READY_TIMEOUT,
                stop=lambda: bool(cluster.exited()),
            )
            exited = cluster.exited()
            if pending or exited:
                names = ", ".join(s.name for s in pending)
                raise RuntimeError(
                    f"cluster not ready (waiting for {names}; exited: {exited}):\n"
                    + cluster.log_tail()
                )
            yield cluster
        finally:
            # SIGTERM to all first, so that they shut down side by side
            for process in cluster.processes.values():
                with suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGTERM)
            for process in cluster.processes.values():
                stop(process)
