"""The two systems under test, started as real processes on free ports in a temporary folder.

Ours: `python -m bot serve` (every service of the Procfile, one replica, SQLite), as `make run`
starts it once the model is there. The baseline: `rasa init`'s moodbot, trained on the fly,
served by `rasa run --enable-api`. While either runs, a thread samples the resident memory of
its Rasa server process (with its children) to find the peak.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

import psutil

from bot.health import Service, http_ok, wait_until_ready
from bot.settings import ROOT
from bot.training import train_command
from devtools.processes import StartFailed, free_ports, start_serving, stop, wait_served

READY_TIMEOUT = 600.0
SAMPLE_INTERVAL = 0.25
BIN = Path(sys.executable).parent


def quiet_env(**extra: str) -> dict[str, str]:
    """Telemetry off and Rasa's dependency warnings silenced, for every process we start."""
    env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "2"}
    env.setdefault("PYTHONWARNINGS", "ignore::DeprecationWarning,ignore::UserWarning")
    env.update(extra)
    return env


def is_rasa_server(argv: list[str]) -> bool:
    """`rasa run …` as a script or console entry, or our `python -m bot.rasa_server run …`.

    >>> is_rasa_server([".venv/bin/python", ".venv/bin/rasa", "run", "--port", "5005"])
    True
    >>> is_rasa_server(["python", "-m", "bot.rasa_server", "run", "--model", "m.tar.gz"])
    True
    >>> is_rasa_server(["/bin/sh", "-c", "python -m bot.rasa_server run --model m.tar.gz"])
    False
    >>> is_rasa_server(["python", "-m", "rasa_sdk", "--actions", "actions"])
    False
    """
    for i, arg in enumerate(argv[:3]):
        if Path(arg).name in ("rasa", "bot.rasa_server") and argv[i + 1 : i + 2] == ["run"]:
            return True
    return False


def _argv(process: psutil.Process) -> list[str]:
    try:
        return [str(arg) for arg in process.cmdline()]
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return []


class MemorySampler:
    """Peak resident memory of the Rasa server process under `root` (itself or a descendant)."""

    def __init__(self, root_pid: int) -> None:
        self.root_pid = root_pid
        self.peak_bytes = 0
        self.samples = 0
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _server(self) -> psutil.Process | None:
        try:
            root = psutil.Process(self.root_pid)
            candidates = [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return None
        return next((p for p in candidates if is_rasa_server(_argv(p))), None)

    def _rss(self, server: psutil.Process) -> int:
        total = 0
        for process in [server, *server.children(recursive=True)]:
            try:
                total += process.memory_info().rss
            except psutil.NoSuchProcess:
                continue
        return total

    def _run(self) -> None:
        server: psutil.Process | None = None
        while not self._stopped.wait(SAMPLE_INTERVAL):
            if server is None or not server.is_running():
                server = self._server()
            if server is not None:
                self.peak_bytes = max(self.peak_bytes, self._rss(server))
                self.samples += 1

    def __enter__(self) -> MemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stopped.set()
        self._thread.join(timeout=5)


@dataclass
class Running:
    base_url: str
    ready_seconds: float
    memory: MemorySampler
    log: Path


def _tail(log: Path, chars: int = 3000) -> str:
    return log.read_text(encoding="utf-8", errors="replace")[-chars:]


@contextmanager
def our_system(folder: Path, model: Path) -> Iterator[Running]:
    """Every service of the Procfile; ready when every health check passes."""
    started = time.monotonic()
    served = start_serving(folder, model, log_name="ours.log")
    try:
        with MemorySampler(served.process.pid) as memory:
            wait_served(served, READY_TIMEOUT)
            ready = time.monotonic() - started
            yield Running(served.settings.url("RASA_PORT"), ready, memory, served.log)
    finally:
        stop(served.process)


def init_baseline(folder: Path) -> tuple[Path, float]:
    """`rasa init` (which trains the moodbot); returns its folder and the seconds it took."""
    project = folder / "moodbot"
    project.mkdir()  # rasa init refuses a folder that does not exist
    log = folder / "baseline-init.log"
    started = time.monotonic()
    with log.open("wb") as out:
        result = subprocess.run(  # noqa: S603 - fixed argv
            [str(BIN / "rasa"), "init", "--no-prompt", "--init-dir", str(project)],
            cwd=folder, env=quiet_env(), stdout=out, stderr=subprocess.STDOUT,
            timeout=READY_TIMEOUT * 3, check=False,
        )  # fmt: skip
    seconds = time.monotonic() - started
    if result.returncode != 0 or not list((project / "models").glob("*.tar.gz")):
        raise StartFailed(f"rasa init failed (exit {result.returncode}):\n{_tail(log)}")
    return project, seconds


@contextmanager
def baseline_system(project: Path) -> Iterator[Running]:
    """`rasa run --enable-api` on the moodbot, bound to 127.0.0.1 on a free port."""
    (port,) = free_ports(1)
    log = project.parent / "baseline.log"
    started = time.monotonic()
    with log.open("wb") as out:
        process = subprocess.Popen(  # noqa: S603 - fixed argv
            [str(BIN / "rasa"), "run", "--enable-api", "--interface", "127.0.0.1",
             "--port", str(port), "--model", str(project / "models")],
            cwd=project, env=quiet_env(), stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        with MemorySampler(process.pid) as memory:
            check = Service("baseline", "moodbot", url, http_ok(f"{url}/status"))
            pending = wait_until_ready(
                [check], READY_TIMEOUT, stop=lambda: process.poll() is not None
            )
            if pending or process.poll() is not None:
                raise StartFailed(f"the baseline did not start:\n{_tail(log)}")
            yield Running(url, time.monotonic() - started, memory, log)
    finally:
        stop(process)


def train_ours(folder: Path) -> float:
    """Seconds `rasa train` takes for our model, trained into `folder` (models/ untouched)."""
    log = folder / "train.log"
    started = time.monotonic()
    with log.open("wb") as out:
        result = subprocess.run(  # noqa: S603 - fixed argv
            train_command(folder, "bench"),
            cwd=ROOT, env=quiet_env(), stdout=out, stderr=subprocess.STDOUT,
            timeout=READY_TIMEOUT * 3, check=False,
        )  # fmt: skip
    seconds = time.monotonic() - started
    if result.returncode != 0:
        raise StartFailed(f"training failed (exit {result.returncode}):\n{_tail(log)}")
    return seconds


def machine() -> dict[str, Any]:
    """What the figures depend on: CPU, memory, OS and the versions that matter."""
    model = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        for line in cpuinfo.read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {
        "cpu_count": os.cpu_count(),
        "cpu_model": model,
        "ram_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "os": platform.platform(),
        "python": platform.python_version(),
        "rasa": version("rasa"),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }
