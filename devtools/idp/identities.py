"""The test identities of the development IdP (`$DATA_DIR/demo/identities.yml`)."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from pathlib import Path

import yaml

LEVELS = ("substantial", "high")


@dataclass(frozen=True)
class Identity:
    username: str
    password: str
    given_name: str
    family_name: str
    birth_date: str
    level: str
    bpk2: str
    email: str = ""
    street: str = ""
    postal_code: str = ""
    locality: str = ""
    country: str = "DE"


def load(path: Path) -> list[Identity]:
    """Read and check the file; a wrong entry stops the IdP with its index and field."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    if not isinstance(raw, list):
        raise ValueError(f"{path}: expected a list of identities")
    result = []
    for index, entry in enumerate(raw):
        if not isinstance(entry, dict):
            raise ValueError(f"{path}: entry {index} is not a mapping")
        for name in ("username", "password", "given_name", "family_name", "birth_date", "level"):
            if not str(entry.get(name) or "").strip():
                raise ValueError(f"{path}: entry {index} has no {name}")
        if entry["level"] not in LEVELS:
            raise ValueError(f"{path}: entry {index}: level must be one of {', '.join(LEVELS)}")
        address = entry.get("address") or {}
        result.append(
            Identity(
                username=str(entry["username"]),
                password=str(entry["password"]),
                given_name=str(entry["given_name"]),
                family_name=str(entry["family_name"]),
                birth_date=str(entry["birth_date"]),
                level=str(entry["level"]),
                # a stable pseudonym per test identity unless the file names one
                bpk2=str(entry.get("bpk2") or f"DEV-BPK2-{entry['username']}"),
                email=str(entry.get("email") or ""),
                street=str(address.get("street") or ""),
                postal_code=str(address.get("postal_code") or ""),
                locality=str(address.get("locality") or ""),
                country=str(address.get("country") or "DE"),
            )
        )
    return result


def check_login(identities: list[Identity], username: str, password: str) -> Identity | None:
    """The identity with this user name and password (compared in constant time)."""
    for identity in identities:
        if identity.username == username and hmac.compare_digest(
            identity.password.encode(), password.encode()
        ):
            return identity
    return None
