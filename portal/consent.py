"""Consent texts of the SEPA mandate, versioned files under ``data/consent``."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

_FILE = re.compile(r"(?P<version>[a-z0-9-]+)\.(?P<lang>de|en)\.txt")


@dataclass(frozen=True)
class ConsentText:
    version: str
    german: str
    english: str | None

    def render(self, creditor_name: str, creditor_id: str, *, english: bool = False) -> str:
        text = self.english if english and self.english else self.german
        return text.replace("{creditor_name}", creditor_name).replace("{creditor_id}", creditor_id)

    def sha256(self, creditor_name: str, creditor_id: str) -> str:
        """Hash of the rendered German text, the binding one, as stored in the evidence."""
        rendered = self.render(creditor_name, creditor_id)
        return hashlib.sha256(rendered.encode("utf-8")).hexdigest()


def load(folder: Path) -> dict[str, ConsentText]:
    """All versions that have a German text, by version id."""
    texts: dict[tuple[str, str], str] = {}
    for path in sorted(folder.glob("*.txt")):
        found = _FILE.fullmatch(path.name)
        if found:
            texts[(found["version"], found["lang"])] = path.read_text(encoding="utf-8")
    return {
        version: ConsentText(version, german, texts.get((version, "en")))
        for (version, lang), german in texts.items()
        if lang == "de"
    }
