"""The one error type of the validators: a ``ValueError`` with a stable ``code``.

The form maps ``code`` (not the English message) to what the citizen reads, in German or English.

>>> error = InputError("no Kassenzeichen given", code="empty")
>>> error.code, str(error), isinstance(error, ValueError)
('empty', 'no Kassenzeichen given', True)
"""

from __future__ import annotations


class InputError(ValueError):
    """What the citizen typed cannot be used; ``code`` says why in one stable word."""

    code: str = "invalid"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code
