"""Amounts of money in euro as citizens type them, in German or English notation.

The currency is the euro (ISO 4217 ``EUR``) in cents, as a SEPA direct debit carries it (ISO
20022 ``ActiveOrHistoricCurrencyAndAmount``, two decimals). The German form written back follows
DIN 5008 (``1.234,56 €``).
German writes ``1.234,56``, English ``1,234.56``; a lone separator followed by one or two
digits is the decimal mark in both. A lone separator followed by exactly three digits
(``1.234`` or ``1,234``) means a thousand in one language and about one euro in the other, so it
is refused as ambiguous instead of guessed.

>>> validate('48,00')
Decimal('48.00')
>>> validate('48 Euro'), validate('€ 1.234,56'), validate('1,234.56'), validate('48.00 EUR')
(Decimal('48.00'), Decimal('1234.56'), Decimal('1234.56'), Decimal('48.00'))
>>> validate('48,-')
Decimal('48.00')
>>> try:
...     validate('1.234')
... except AmountError as error:
...     print(error.code)
ambiguous
>>> format_de(Decimal('1234.5')), format_en(Decimal('1234.5'))
('1.234,50 €', '€1,234.50')
>>> to_api(Decimal('48'))
'48.00'
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from rules.errors import InputError

# No city invoice a citizen pays in the chat comes near this; larger input is a typo.
MAXIMUM = Decimal("1000000.00")
CENT = Decimal("0.01")

_CURRENCY = re.compile(r"€|\beuros?\b|\beur\b", re.IGNORECASE)
_WHOLE_EUROS = re.compile(r"[,.][-–]$")  # "48,-" and "48,–" as on German price tags
_GROUPED = re.compile(r"\d{1,3}(?:[.,]\d{3})+")


class AmountError(InputError):
    """Codes: ``empty``, ``invalid``, ``ambiguous``, ``negative``, ``zero``, ``too_large``,
    ``too_many_decimals``."""


def compact(value: str) -> str:
    """Drop the currency and spaces; ``48,-`` becomes ``48``.

    Repeated until nothing changes, so that compacting twice gives what compacting once gave
    (hypothesis found ``.-.-`` becoming ``.-`` and then nothing):

    >>> compact("48,- €"), compact(".-.-"), compact("1 234,50 EUR")
    ('48', '', '1234,50')
    """
    text = value
    while True:
        step = _CURRENCY.sub("", text)
        step = re.sub(r"[\s\u00a0\u202f']", "", step)
        step = _WHOLE_EUROS.sub("", step)
        if step == text:
            return step
        text = step


def _split_decimals(text: str) -> tuple[str, str]:
    """Split into the integer part (maybe with thousands separators) and the decimals."""
    last = max(text.rfind(","), text.rfind("."))
    if last < 0:
        return text, ""
    integer, decimals = text[:last], text[last + 1 :]
    separators = {char for char in text if char in ",."}
    if len(separators) == 1 and (text.count(text[last]) > 1 or len(decimals) == 3):
        # Only one kind of separator: "1.234.567" groups thousands; "1.234" is ambiguous.
        if text.count(text[last]) == 1:
            raise AmountError(f"{text!r} could mean two different amounts", code="ambiguous")
        return text, ""
    if text[last] in integer:
        raise AmountError(f"{text!r} uses the decimal mark twice", code="invalid")
    return integer, decimals


def _number(text: str) -> Decimal:
    integer, decimals = _split_decimals(text)
    if any(char in ",." for char in integer) and not _GROUPED.fullmatch(integer):
        raise AmountError(f"{text!r} has separators in odd places", code="invalid")
    digits = re.sub(r"[,.]", "", integer) or "0"
    if not (digits.isascii() and digits.isdigit()) or not (
        decimals == "" or (decimals.isascii() and decimals.isdigit())
    ):
        raise AmountError(f"{text!r} is not an amount", code="invalid")
    if len(decimals) > 2:
        raise AmountError(f"{text!r} has more than two decimals", code="too_many_decimals")
    try:
        return Decimal(f"{digits}.{decimals or '0'}")
    except InvalidOperation as exc:  # pragma: no cover - the checks above exclude it
        raise AmountError(f"{text!r} is not an amount", code="invalid") from exc


def validate(value: str) -> Decimal:
    """Return the amount with two decimals or raise an ``AmountError``."""
    text = compact(value)
    if not text:
        raise AmountError("no amount given", code="empty")
    if text[0] in "-−":
        raise AmountError("an amount to pay is positive", code="negative")
    amount = _number(text.lstrip("+"))
    if amount == 0:
        raise AmountError("the amount is zero", code="zero")
    if amount > MAXIMUM:
        raise AmountError("the amount is implausibly large", code="too_large")
    return amount.quantize(CENT)


def is_valid(value: str) -> bool:
    """Whether the value reads as one plausible amount."""
    try:
        validate(value)
    except AmountError:
        return False
    return True


def to_api(amount: Decimal) -> str:
    """The portal's notation: a point and two decimals, no grouping (``"48.00"``)."""
    return f"{amount.quantize(CENT):f}"


def format_en(amount: Decimal) -> str:
    """English notation: ``€1,234.50``."""
    return f"€{amount.quantize(CENT):,.2f}"


def format_de(amount: Decimal) -> str:
    """German notation: ``1.234,50 €``."""
    english = f"{amount.quantize(CENT):,.2f}"
    return english.translate(str.maketrans(",.", ".,")) + " €"


def format(value: str | Decimal, language: str = "de") -> str:
    """The amount as the citizen reads it: German (``1.234,50 €``) or English (``€1,234.50``).

    Text is validated first (``AmountError`` if it is no amount).

    >>> format('1234,5'), format(Decimal('48'), 'en')
    ('1.234,50 €', '€48.00')
    """
    amount = validate(value) if isinstance(value, str) else value
    return format_en(amount) if language == "en" else format_de(amount)
