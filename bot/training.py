"""Trains the Rasa model only when its inputs changed.

The model's file name carries a fingerprint of everything training reads (config.yml, the domain
and the training data), so an unchanged checkout reuses the model it already has: `make run`
after the first start skips the minute or more that training takes.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

from bot.settings import ROOT

CONFIG = ROOT / "config.yml"
DOMAIN_DIR = ROOT / "bot" / "domain"
TRAINING_DIRS = (ROOT / "data" / "nlu", ROOT / "data" / "rules", ROOT / "data" / "stories")
MODELS_DIR = ROOT / "models"
MODEL_PREFIX = "buergerbot-"


def training_inputs() -> list[Path]:
    """Every file that `rasa train` reads, in a stable order."""
    files = [CONFIG]
    for folder in (DOMAIN_DIR, *TRAINING_DIRS):
        files.extend(sorted(p for p in folder.rglob("*.yml") if p.is_file()))
    return files


def fingerprint() -> str:
    """SHA-256 over the paths and contents of the training inputs (first 16 hex digits)."""
    digest = hashlib.sha256()
    for path in training_inputs():
        digest.update(path.relative_to(ROOT).as_posix().encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()[:16]


def model_path() -> Path:
    return MODELS_DIR / f"{MODEL_PREFIX}{fingerprint()}.tar.gz"


def ensure_model(force: bool = False) -> Path:
    """Returns the model for the current inputs, training it first when it is missing."""
    target = model_path()
    if target.is_file() and not force:
        print(f"model: up to date ({target.relative_to(ROOT)}), training skipped", flush=True)
        return target
    print("model: training (data, domain or config changed) …", flush=True)
    MODELS_DIR.mkdir(exist_ok=True)
    env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "2"}
    command = train_command(MODELS_DIR, target.name.removesuffix(".tar.gz"))
    subprocess.run(command, check=True, cwd=ROOT, env=env)  # noqa: S603 - fixed argv
    _remove_stale_models(keep=target)
    return target


def train_command(out_dir: Path, name: str) -> list[str]:
    """`rasa train` on our config, domain and data, writing `out_dir/name.tar.gz`.

    Run in a subprocess: importing rasa takes seconds that a cached model should not cost.
    """
    return [
        sys.executable, "-m", "rasa", "train",
        "--config", str(CONFIG),
        "--domain", str(DOMAIN_DIR),
        "--data", *(str(d) for d in TRAINING_DIRS),
        "--out", str(out_dir),
        "--fixed-model-name", name,
        # `make test` validates the data itself (--fail-on-warnings); here it only costs time.
        "--skip-validation",
    ]  # fmt: skip


KEEP_MODELS = 3


def _remove_stale_models(keep: Path) -> None:
    """Old fingerprints only fill the disk; the newest few stay for switching branches."""
    models = sorted(MODELS_DIR.glob(f"{MODEL_PREFIX}*.tar.gz"), key=lambda p: p.stat().st_mtime)
    for old in [m for m in models if m != keep][: max(0, len(models) - KEEP_MODELS)]:
        old.unlink(missing_ok=True)
