"""The city's signing policy (`$DATA_DIR/signing.yml`): the minimum level per action and up to
which amount the e-mail code may sign a mandate instead of a login.

>>> p = Policy.parse({"sign_mandate": {"level": "high", "email_code_max_amount": "100.00"}})
>>> p.level("sign_mandate"), p.level("revoke_mandate"), p.methods(10000), p.methods(10001)
('high', 'substantial', ['bundid', 'email_code'], ['bundid'])
>>> Policy.parse({"revoke_mandate": {"level": "none"}}).login_required("revoke_mandate")
False
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

PURPOSES = ("sign_mandate", "revoke_mandate", "order_certificate")
_LEVELS = ("none", "substantial", "high")
DEFAULT_LEVEL = "substantial"


class PolicyError(ValueError):
    """The policy file is wrong; the message names the entry."""


@dataclass(frozen=True)
class Policy:
    levels: dict[str, str] = field(default_factory=dict)
    email_code_max_cents: int = 0

    @classmethod
    def parse(cls, raw: Any) -> Policy:
        if not isinstance(raw, dict):
            raise PolicyError("signing.yml must be a mapping of actions")
        levels: dict[str, str] = {}
        for purpose in PURPOSES:
            entry = raw.get(purpose) or {}
            level = str(entry.get("level") or DEFAULT_LEVEL)
            if level not in _LEVELS:
                raise PolicyError(f"signing.yml: {purpose}.level must be one of {_LEVELS}")
            levels[purpose] = level
        amount = str((raw.get("sign_mandate") or {}).get("email_code_max_amount") or "0")
        if not re.fullmatch(r"[0-9]{1,7}(\.[0-9]{1,2})?", amount):
            raise PolicyError("signing.yml: sign_mandate.email_code_max_amount must be like 100.00")
        euros, _, cents = amount.partition(".")
        return cls(levels, int(euros) * 100 + int((cents + "00")[:2]))

    def level(self, purpose: str) -> str:
        return self.levels.get(purpose, DEFAULT_LEVEL)

    def login_required(self, purpose: str) -> bool:
        return self.level(purpose) != "none"

    def login_level(self, purpose: str) -> str:
        """The level a signing session for this action asks for (at least substantial)."""
        level = self.level(purpose)
        return "substantial" if level == "none" else level

    def email_code_allowed(self, amount_cents: int) -> bool:
        return amount_cents <= self.email_code_max_cents

    def methods(self, amount_cents: int) -> list[str]:
        """How a mandate of this amount per due date may be signed."""
        return ["bundid", "email_code"] if self.email_code_allowed(amount_cents) else ["bundid"]


def load(data_dir: Path) -> Policy:
    path = data_dir / "signing.yml"
    if not path.exists():
        # no file: every action needs a login at level substantial, the code never signs
        return Policy.parse({})
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise PolicyError(f"{path} cannot be read: {exc}") from exc
    return Policy.parse(raw)
