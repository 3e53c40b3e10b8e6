"""bot.patches: applied only when asked, all at once, and only on the Rasa release they fit."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest
import rasa.version

from bot import patches

PROBE = textwrap.dedent(
    """
    import copy
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.core.events import Event
    from rasa.shared.core.slots import Slot

    import bot.tracker_store  # noqa: F401  (Rasa imports it in every server process)

    def state():
        return (
            RemoteAction._validate_action_result.__module__,
            getattr(Slot, "__copy__", None) is not None,
            getattr(Event.resolve_by_type, "__module__", ""),
        )

    before = state()
    from bot import patches
    patches.apply()
    patches.apply()  # idempotent
    print(before, state())
    """
)


def test_importing_the_runtime_patches_nothing_and_apply_patches_all() -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=120, check=True
    )
    before, after = done.stdout.strip().split(") (")
    assert "bot.patches" not in before
    assert "False" in before  # no Slot.__copy__ until apply()
    assert after.count("bot.patches") == 2  # the response validator and the event lookup
    assert "True" in after


def test_another_rasa_version_is_refused_before_anything_is_patched(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from rasa.core.actions.action import RemoteAction

    original = RemoteAction._validate_action_result
    monkeypatch.setattr(rasa.version, "__version__", "3.6.22")
    with pytest.raises(patches.UnsupportedRasaVersion, match=r"3\.6\.22"):
        patches.apply()
    assert RemoteAction._validate_action_result is original


def test_the_guard_names_the_release_the_patches_were_written_for() -> None:
    assert rasa.version.__version__ == patches.RASA_VERSION
    patches.check_version()
