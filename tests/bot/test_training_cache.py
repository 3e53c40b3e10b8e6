"""The model's name follows its inputs, so unchanged inputs skip training."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot import training


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "bot" / "domain").mkdir(parents=True)
    for folder in ("nlu", "rules", "stories"):
        (tmp_path / "data" / folder).mkdir(parents=True)
    (tmp_path / "config.yml").write_text("pipeline: []\n")
    (tmp_path / "bot" / "domain" / "core.yml").write_text("intents: [greet]\n")
    (tmp_path / "data" / "nlu" / "de.yml").write_text("nlu: []\n")
    monkeypatch.setattr(training, "ROOT", tmp_path)
    monkeypatch.setattr(training, "CONFIG", tmp_path / "config.yml")
    monkeypatch.setattr(training, "DOMAIN_DIR", tmp_path / "bot" / "domain")
    monkeypatch.setattr(
        training, "TRAINING_DIRS", tuple(tmp_path / "data" / f for f in ("nlu", "rules", "stories"))
    )
    monkeypatch.setattr(training, "MODELS_DIR", tmp_path / "models")
    return tmp_path


def test_fingerprint_changes_with_any_input(project: Path) -> None:
    before = training.fingerprint()
    assert training.fingerprint() == before
    (project / "data" / "nlu" / "de.yml").write_text("nlu: [x]\n")
    changed_data = training.fingerprint()
    assert changed_data != before
    (project / "data" / "rules" / "new.yml").write_text("rules: []\n")
    assert training.fingerprint() != changed_data


def test_unrelated_files_do_not_retrain(project: Path) -> None:
    before = training.fingerprint()
    (project / "data" / "city.yml").write_text("city_name: X\n")
    (project / "README.md").write_text("docs\n")
    assert training.fingerprint() == before


def test_existing_model_is_reused(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = training.model_path()
    target.parent.mkdir()
    target.write_bytes(b"model")
    assert training.ensure_model() == target
    assert "training skipped" in capsys.readouterr().out
