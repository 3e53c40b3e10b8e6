"""Every change this project makes to Rasa's own code, in one place, applied explicitly.

Rasa 3.6 spends CPU per turn on work that never changes; each patch here was found with
cProfile on the Rasa server under load (`make bench`) and keeps Rasa's behaviour, only
skipping repeated work:

- `action_response`: the action server's response is validated with a compiled JSON schema
  instead of `jsonschema.validate` (which re-checks the schema itself on every call).
- `slot_copy`: slots are copied directly instead of through `copy.copy`'s generic reduce path.
- `event_classes`: an event's class is remembered by its type name instead of being searched
  among all of Rasa's event classes for every event read.

One patch changes behaviour on purpose: `server_guard` sets the Rasa server's body-size
limit (Sanic's default is 100 MB), which Rasa offers no option for, and answers a malformed
JWT with 401 instead of sanic-jwt's 500.

Each patch replaces a private method of one exact Rasa release. `apply()` therefore refuses
any other version: after an upgrade, re-check every patch against the new source (and its
test in tests/bot/patches/), then raise `RASA_VERSION`.

`bot.rasa_server` (the Procfile's, the compose file's and the Helm values' way to start Rasa)
calls `apply()` once before Rasa starts; nothing is patched as a side effect of an import.
"""

from __future__ import annotations

RASA_VERSION = "3.6.21"


class UnsupportedRasaVersion(RuntimeError):
    """The installed Rasa is not the release the patches were written and tested against."""


def check_version(installed: str | None = None) -> None:
    """Raise `UnsupportedRasaVersion` unless `installed` (default: Rasa's own) is `RASA_VERSION`.

    >>> check_version("3.6.21")
    >>> check_version("3.6.20")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
        ...
    bot.patches.UnsupportedRasaVersion: bot.patches were written for Rasa 3.6.21, not 3.6.20; ...
    """
    if installed is None:
        import rasa.version

        installed = rasa.version.__version__
    if installed != RASA_VERSION:
        raise UnsupportedRasaVersion(
            f"bot.patches were written for Rasa {RASA_VERSION}, not {installed}; "
            "re-check each patch before raising RASA_VERSION"
        )


def apply() -> None:
    """Check Rasa's version, then apply every patch (idempotent)."""
    check_version()
    from bot.patches import action_response, event_classes, server_guard, slot_copy

    action_response.apply()
    server_guard.apply()
    slot_copy.apply()
    event_classes.apply()
