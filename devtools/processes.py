"""Child processes on free ports: shared by the benchmark (`devtools.bench`) and the test stack."""

from __future__ import annotations

import fcntl
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

from bot.health import services, wait_until_ready
from bot.settings import PORT_DEFAULTS, ROOT, Settings, resolve

STOP_TIMEOUT = 30.0


# A port is picked free and bound by its server only later (Rasa binds after loading its
# model, a minute). Meanwhile the kernel may offer the same port to another process on this
# machine, e.g. the other test worker. So every port handed out here is noted in a folder
# shared by all processes and not handed out again for RESERVE_SECONDS.
RESERVE_SECONDS = 600.0
MAX_TAKEN_SKIPS = 1000
_RESERVED = Path(tempfile.gettempdir()) / "buergerbot-ports"


def free_ports(count: int) -> list[int]:
    """Ports the kernel says are free now and that no process here took in the last minutes."""
    _RESERVED.mkdir(exist_ok=True)
    with open(_RESERVED / ".lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        ports: list[int] = []
        skips = 0
        while len(ports) < count:
            port = _kernel_port()
            if _take(port):
                ports.append(port)
            elif (skips := skips + 1) > MAX_TAKEN_SKIPS:
                raise OSError(f"no free port not handed out in the last {RESERVE_SECONDS} s")
        return ports


def _take(port: int) -> bool:
    """Note the port as handed out now, unless it was handed out within RESERVE_SECONDS."""
    note = _RESERVED / str(port)
    with suppress(FileNotFoundError):
        if time.time() - note.stat().st_mtime < RESERVE_SECONDS:
            return False
    note.touch()  # now, for an old note too
    return True


def _kernel_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def free_port() -> int:
    """One port the kernel says is free now."""
    return free_ports(1)[0]


def isolated_env(folder: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    """An environment for a whole system of our own: free ports, SQLite databases and state
    in `folder`, random secrets, no `.env` and no Redis, so it never meets a developer's
    running system; `extra` last."""
    env = {key: value for key, value in os.environ.items() if key not in PORT_DEFAULTS}
    ports = free_ports(len(PORT_DEFAULTS))
    env.update({name: str(port) for name, port in zip(PORT_DEFAULTS, ports, strict=True)})
    # the portal logs in against this system's own development IdP (bot.settings derives
    # IDP_METADATA from IDP_PORT), never one a developer's environment names
    for name in ("IDP_METADATA", "IDP_PUBLIC_URL", "IDP_SP_METADATA"):
        env.pop(name, None)
    env.update(
        {
            "BIND_HOST": "127.0.0.1",
            "BUERGERBOT_DOTENV": os.devnull,
            "VAR_DIR": str(folder / "var"),
            "TRACKER_DB_URL": f"sqlite:///{folder / 'tracker.db'}",
            "PORTAL_DB_URL": f"sqlite:///{folder / 'portal.db'}",
            "PORTAL_API_TOKEN": secrets.token_urlsafe(16),
            "RASA_AUTH_TOKEN": secrets.token_urlsafe(16),
            # Tests and the bench send from loopback for many simulated citizens at once: not
            # counted per address, but a test may name a client behind loopback as a proxy
            # (X-Forwarded-For) and meet the per-address limit (bot/channels/limits.py).
            "RATE_LIMIT_EXEMPT": "127.0.0.1,::1",
            "TRUSTED_PROXIES": "127.0.0.1,::1",
        }
    )
    env.pop("REDIS_URL", None)
    env.update(extra or {})
    return env


class StartFailed(RuntimeError):
    """A system did not get ready; the message holds the end of its log."""


@dataclass
class Served:
    """`python -m bot serve` running in an isolated environment (see `isolated_env`)."""

    settings: Settings
    process: subprocess.Popen[bytes]
    log: Path


def start_serving(
    folder: Path, model: Path, extra: dict[str, str] | None = None, log_name: str = "stack.log"
) -> Served:
    """Starts every service of the Procfile in its own process group; returns at once."""
    settings = resolve(isolated_env(folder, extra), dotenv=Path(os.devnull))
    log = folder / log_name
    with log.open("wb") as out:
        process = subprocess.Popen(  # noqa: S603 - fixed argv
            [sys.executable, "-m", "bot", "serve", "--model", str(model)],
            cwd=ROOT, env=settings.env, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    return Served(settings, process, log)


def wait_served(served: Served, timeout: float) -> None:
    """Returns when every health check passes; raises StartFailed with the log's end if not."""
    pending = wait_until_ready(
        services(served.settings), timeout, stop=lambda: served.process.poll() is not None
    )
    if pending or served.process.poll() is not None:
        names = ", ".join(s.name for s in pending) or "launcher exited"
        tail = served.log.read_text(encoding="utf-8", errors="replace")[-4000:]
        raise StartFailed(f"system not ready ({names}):\n{tail}")


def stop(process: subprocess.Popen[bytes], timeout: float = STOP_TIMEOUT) -> None:
    """SIGTERM to the process group (honcho passes it on), SIGKILL if it hangs.

    The process must have been started with `start_new_session=True`, so that its group holds
    its children and nothing else.
    """
    if process.poll() is not None:
        return
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)
    if process.poll() is None:
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
