"""IBAN (International Bank Account Number), checked for SEPA direct debit.

The IBAN is defined by ISO 13616 (https://www.iso.org/standard/81090.html); its per-country
structure comes from the SWIFT IBAN registry shipped with python-stdnum. Unlike
``stdnum.iban.validate`` this module says which mistake was made: the length is checked per
country before the checksum, so a missing digit is reported as a wrong length (with the length
expected) and not as a typo. Every IBAN of the SEPA zone is accepted (IBAN discrimination is
forbidden by Art. 9 of the SEPA Regulation); a valid IBAN from outside the zone is refused.

>>> validate('DE89 3704 0044 0532 0130 00')
'DE89370400440532013000'
>>> validate('de89.3704.0044.0532.0130.00')
'DE89370400440532013000'
>>> validate('AT61 1904 3002 3457 3201')
'AT611904300234573201'
>>> validate('FR14 2004 1010 0505 0001 3M02 606')
'FR1420041010050500013M02606'
>>> validate('NL91 ABNA 0417 1643 00')
'NL91ABNA0417164300'
>>> validate('CH93 0076 2011 6238 5295 7')
'CH9300762011623852957'
>>> validate('GB29 NWBK 6016 1331 9268 19')
'GB29NWBK60161331926819'
>>> validate('NO93 8601 1117 947')
'NO9386011117947'
>>> validate('DE89 3704 0044 0532 0130 01')  # doctest: +IGNORE_EXCEPTION_DETAIL
Traceback (most recent call last):
    ...
IbanChecksumError: the IBAN's check digits do not match (a typo?)
>>> try:
...     validate('DE89 3704 0044 0532 0130 0')
... except IbanError as error:
...     print(error.code, error.country, error.expected_length, error.actual_length)
wrong_length DE 22 21
>>> validate('TR33 0006 1005 1978 6457 8413 26')  # doctest: +IGNORE_EXCEPTION_DETAIL
Traceback (most recent call last):
    ...
NotSepaError: TR is not in the SEPA zone
>>> validate('BR97 0036 0305 0000 1000 9795 493P 1')  # doctest: +IGNORE_EXCEPTION_DETAIL
Traceback (most recent call last):
    ...
NotSepaError: BR is not in the SEPA zone
>>> validate('XX89 3704 0044 0532 0130 00')  # doctest: +IGNORE_EXCEPTION_DETAIL
Traceback (most recent call last):
    ...
UnknownCountryError: no IBAN country XX
>>> validate('hello!')  # doctest: +IGNORE_EXCEPTION_DETAIL
Traceback (most recent call last):
    ...
InvalidCharactersError: an IBAN has only letters and digits
>>> validate('   ')  # doctest: +IGNORE_EXCEPTION_DETAIL
Traceback (most recent call last):
    ...
EmptyIbanError: no IBAN given
>>> is_valid('DE89370400440532013000'), is_valid('DE89370400440532013001')
(True, False)
>>> format('de89370400440532013000')
'DE89 3704 0044 0532 0130 00'
>>> mask('DE89 3704 0044 0532 0130 00')
'DE89 **** **** **** **30 00'
>>> needs_bic_and_address('CH'), needs_bic_and_address('DE')
(True, False)
>>> is_sepa_country('no'), is_sepa_country('TR')
(True, False)
>>> bank_name('CZ65 0800 0000 1920 0014 5399')
'Česká spořitelna, a.s.'
>>> bank_name('DE89 3704 0044 0532 0130 00') is None
True
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from stdnum import numdb
from stdnum.exceptions import InvalidChecksum, ValidationError
from stdnum.iso7064 import mod_97_10
from stdnum.util import get_cc_module

from rules.errors import InputError

__all__ = [
    "EEA_COUNTRIES",
    "GROUP",
    "NON_EEA_SEPA_COUNTRIES",
    "SEPA_COUNTRIES",
    "EmptyIbanError",
    "Found",
    "IbanChecksumError",
    "IbanError",
    "InvalidCharactersError",
    "NotSepaError",
    "UnknownCountryError",
    "WrongLengthError",
    "bank_name",
    "compact",
    "find_all",
    "format",
    "is_sepa_country",
    "is_valid",
    "letters_allowed",
    "mask",
    "mask_all",
    "needs_bic_and_address",
    "validate",
]

# The EU member states plus Iceland, Liechtenstein and Norway. Overseas parts (French DOMs,
# Åland, Azores, Canaries, …) use their mother country's IBAN prefix, so they need no entry.
EEA_COUNTRIES: frozenset[str] = frozenset(
    "AT BE BG CY CZ DE DK EE ES FI FR GR HR HU IE IT LT LU LV MT NL PL PT RO SE SI SK"  # noqa: SIM905
    " IS LI NO".split()
)

# Members of the SEPA schemes outside the EEA, per the EPC's "List of countries and territories
# in the SEPA schemes' geographical scope" (Albania, Montenegro, Moldova and North Macedonia
# joined in 2025). Debits to these need the debtor's BIC and address. Jersey, Guernsey and the
# Isle of Man use GB IBANs. Check the current EPC list when it changes.
NON_EEA_SEPA_COUNTRIES: frozenset[str] = frozenset(
    "AD AL CH GB GI MC MD ME MK SM VA".split()  # noqa: SIM905
)

SEPA_COUNTRIES: frozenset[str] = EEA_COUNTRIES | NON_EEA_SEPA_COUNTRIES

_IBAN_DB = numdb.get("iban")
_STRUCTURE_PART = re.compile(r"([1-9][0-9]*)!([nac])")
_CHARACTER_CLASS = {"n": "[0-9]", "a": "[A-Z]", "c": "[A-Z0-9]"}


class IbanError(InputError):
    """An IBAN the citizen typed cannot be used; ``code`` says why in a stable word."""

    code = "invalid"

    def __init__(
        self,
        message: str,
        *,
        country: str | None = None,
        expected_length: int | None = None,
        actual_length: int | None = None,
    ) -> None:
        super().__init__(message)
        self.country = country
        self.expected_length = expected_length
        self.actual_length = actual_length


class EmptyIbanError(IbanError):
    code = "empty"


class InvalidCharactersError(IbanError):
    code = "invalid_characters"


class UnknownCountryError(IbanError):
    code = "unknown_country"


class WrongLengthError(IbanError):
    code = "wrong_length"


class IbanChecksumError(IbanError):
    code = "checksum"


class NotSepaError(IbanError):
    code = "not_sepa"


# What citizens put between the characters of an IBAN: every white space (the no-break and thin
# spaces and line breaks of text pasted from a PDF or online banking), dots, dashes of every
# kind, slashes, and the invisible characters such a paste brings along (soft hyphen, zero-width
# spaces, word joiner, byte-order mark). Listed one by one rather than as ``\s``, because the
# web chat's JavaScript copy of the finder (webchat/src/iban_finder.js) must mean the same set,
# and ``\s`` differs between the two languages. ``compact`` removes exactly these, so anything
# ``validate`` accepts is found by ``find_all`` (tests/rules/test_iban_finder.py).
SEPARATORS = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
    "\u00ad\u200b\u200c\u200d\u2060\ufeff"
    ".\\-\u2010\u2011\u2012\u2013\u2014\u2015\u2212/"
)
_SEPARATOR = re.compile(f"[{SEPARATORS}]")
GROUP = re.compile(r"[A-Za-z0-9]+")  # what citizens write between separators
_GAP = re.compile(f"[{SEPARATORS}]*")


def compact(value: str) -> str:
    r"""Strip separators (white space, dots, dashes, slashes) and convert to upper case.

    >>> compact('de89\u00a03704/0044\u20130532 0130\n00')
    'DE89370400440532013000'
    """
    return _SEPARATOR.sub("", value).upper()


def _bban_structure(country: str) -> str | None:
    """The registry's BBAN structure (e.g. ``8!n10!n``) of a country, or None if unknown."""
    info = _IBAN_DB.info(country)[0][1]
    structure = info.get("bban")
    return structure if structure else None


@functools.lru_cache(maxsize=1024)
def _parts(country: str) -> tuple[tuple[int, str], ...] | None:
    """The BBAN structure's parts as (size, kind: n, a or c), or None for no IBAN country.

    Cached: every near miss the finder weighs (each mask of each stored event) asks for its
    country's length and letters, and the registry lookup is most of that cost.
    """
    structure = _bban_structure(country.upper())
    if structure is None:
        return None
    return tuple((int(size), kind) for size, kind in _STRUCTURE_PART.findall(structure))


def expected_length(country: str) -> int | None:
    """The length of an IBAN of this country, or None when the country has no IBAN.

    >>> expected_length('DE'), expected_length('NO'), expected_length('US')
    (22, 15, None)
    """
    parts = _parts(country)
    return None if parts is None else 4 + sum(size for size, _kind in parts)


def letters_allowed(country: str) -> int | None:
    """How many letters the account part of this country's IBANs may hold, or None.

    >>> letters_allowed('DE'), letters_allowed('GB'), letters_allowed('US')
    (0, 4, None)
    """
    parts = _parts(country)
    return None if parts is None else sum(size for size, kind in parts if kind in "ac")


def _structure_pattern(structure: str) -> re.Pattern[str]:
    parts = _STRUCTURE_PART.findall(structure)
    return re.compile("".join(f"{_CHARACTER_CLASS[kind]}{{{size}}}" for size, kind in parts))


def _check_country_and_length(number: str) -> str:
    country = number[:2]
    length = expected_length(country) if country.isalpha() else None
    if length is None:
        raise UnknownCountryError(f"no IBAN country {country}", country=country)
    if len(number) != length:
        raise WrongLengthError(
            f"an IBAN from {country} has {length} characters, not {len(number)}",
            country=country,
            expected_length=length,
            actual_length=len(number),
        )
    return country


def _check_digits_and_structure(number: str, country: str) -> None:
    try:
        mod_97_10.validate(number[4:] + number[:4])
    except ValidationError as exc:
        raise IbanChecksumError(
            "the IBAN's check digits do not match (a typo?)", country=country
        ) from exc
    structure = _bban_structure(country) or ""
    if not number[2:4].isdigit() or not _structure_pattern(structure).fullmatch(number[4:]):
        raise InvalidCharactersError(
            f"letters or digits in the wrong place for an IBAN from {country}", country=country
        )
    # Some countries (BE, ES, NO, …) have a national check inside the account number. Only its
    # checksum counts: python-stdnum's bank lists may lag behind, and refusing an IBAN of an
    # unlisted bank would be the IBAN discrimination the SEPA Regulation forbids.
    national = get_cc_module(country.lower(), "iban")
    if national is None:
        return
    try:
        national.validate(number)
    except InvalidChecksum as exc:
        raise IbanChecksumError(
            "the account number's national check does not match (a typo?)", country=country
        ) from exc
    except ValidationError:
        pass


def validate(value: str) -> str:
    """Return the compact IBAN or raise an ``IbanError`` saying which mistake was made."""
    number = compact(value)
    if not number:
        raise EmptyIbanError("no IBAN given")
    if not number.isascii() or not number.isalnum():
        raise InvalidCharactersError("an IBAN has only letters and digits")
    country = _check_country_and_length(number)
    _check_digits_and_structure(number, country)
    if not is_sepa_country(country):
        raise NotSepaError(f"{country} is not in the SEPA zone", country=country)
    return number


def is_valid(value: str) -> bool:
    """Whether the value is a valid IBAN of the SEPA zone."""
    try:
        validate(value)
    except IbanError:
        return False
    return True


def format(value: str) -> str:
    """Groups of four characters, as printed on bank cards and statements."""
    number = compact(value)
    return " ".join(number[i : i + 4] for i in range(0, len(number), 4))


def mask(value: str) -> str:
    """The formatted IBAN with only country, check digits and the last four characters shown."""
    number = compact(value)
    if len(number) <= 8:
        return format("*" * len(number))
    return format(number[:4] + "*" * (len(number) - 8) + number[-4:])


def is_sepa_country(country_code: str) -> bool:
    """Whether IBANs of this country take part in SEPA direct debit."""
    return country_code.upper() in SEPA_COUNTRIES


def needs_bic_and_address(country_code: str) -> bool:
    """Whether a debit needs the BIC and the debtor's address (SEPA countries outside the EEA)."""
    return country_code.upper() in NON_EEA_SEPA_COUNTRIES


def bank_name(value: str) -> str | None:
    """The bank's name where python-stdnum's registries know it (Belgium, Czechia), else None.

    python-stdnum carries no German bank-code (BLZ) list, so German IBANs give None.
    """
    number = compact(value)
    bank_code_of = {"BE": (4, 7, "be/banks"), "CZ": (4, 8, "cz/banks")}
    if not is_valid(number) or number[:2] not in bank_code_of:
        return None
    start, end, database = bank_code_of[number[:2]]
    found: dict[str, str] = {}
    for _part, info in numdb.get(database).info(number[start:end]):
        found.update(info)
    return found.get("bank") or None


# --- Finding IBANs in free text ---------------------------------------------------------------
# One finder serves the payment form (what it takes as an IBAN) and every mask (tracker store,
# console, transcripts): whatever the form would take, the mask removes.

MAX_LENGTH = 34  # ISO 13616
# A mistyped IBAN is often a character or two short or long; it is still the citizen's account.
LENGTH_TOLERANCE = 3
MIN_LENGTH = 12
# Hex ids and tokens that start like "de12…" are told apart by their length, their digits and
# their letters: a near miss may hold one letter more than the country's accounts may ("O" for
# "0"), where a hex id holds several ("p-de13fd34305a8ee0d443", a console pseudonym).
MIN_ACCOUNT_DIGITS = 6
EXTRA_LETTERS = 1


@dataclass(frozen=True)
class Found:
    """An IBAN in a text: where it stands, what it is compact, and whether it checks out.

    ``checked`` is true for a real IBAN (country, length, check digits and structure hold, SEPA
    or not); false for a near miss that still looks like one (a typo: the form tells the citizen
    what is wrong, the mask hides it all the same).

    ``label_apart`` is true when its country code stands apart while its check digits run
    into the next digits ("KZ 7067.0659.3292"): no bank prints an IBAN so, but a label before
    a number is written so, and "KZ" is also the short form of Kassenzeichen.
    "KZ 7067.0659.3292 es sind 0,01" or "KZ 8150 1742 7918 1817.77" join into a Kazakh IBAN
    whose check digits hold by the 1-in-97 chance. Such a find is masked all the same (nothing
    personal may slip through); the payment form decides which reading it takes
    (``actions/payment/extract.py``).
    """

    start: int
    end: int
    number: str
    checked: bool
    label_apart: bool = False


def _checks_out(number: str) -> bool:
    try:
        validate(number)
    except NotSepaError:
        return True  # a real IBAN, only not one we may debit: still personal
    except IbanError:
        return False
    return True


def _looks_like(number: str) -> bool:
    length = expected_length(number[:2]) if number[:2].isalpha() else None
    if length is None or abs(len(number) - length) > LENGTH_TOLERANCE:
        return False
    letters = sum(char.isalpha() for char in number[4:])
    if letters > (letters_allowed(number[:2]) or 0) + EXTRA_LETTERS:
        return False
    return sum(char.isdigit() for char in number[4:]) >= MIN_ACCOUNT_DIGITS


def _run(text: str, tokens: list[tuple[int, int]], first: int) -> list[tuple[int, int]]:
    """The token at ``first`` and those after it joined only by separators, within 37 characters."""
    run = [tokens[first]]
    length = tokens[first][1] - tokens[first][0]
    for start, end in tokens[first + 1 :]:
        if not _GAP.fullmatch(text, run[-1][1], start):
            break
        length += end - start
        if length > MAX_LENGTH + LENGTH_TOLERANCE:
            break
        run.append((start, end))
    return run


def _found_at(text: str, tokens: list[tuple[int, int]], first: int) -> tuple[Found, int] | None:
    """The IBAN starting at token ``first`` and the index of the token after it, or None."""
    start, end = tokens[first]
    if not text[start].isalpha() or end - start > MAX_LENGTH + LENGTH_TOLERANCE:
        return None
    run = _run(text, tokens, first)
    parts = [text[a:b].upper() for a, b in run]
    head = "".join(parts)[:4]
    if len(head) < 4 or not (head[:2].isalpha() and head[2:].isdigit()):
        return None
    # "DE89 …" in one token is surely meant as an IBAN; "DE 89 …" or "D E 8 9 …" is taken only
    # when it checks out, so that "no 4100 2026 0001" stays a Kassenzeichen.
    strict = end - start >= 4
    prefixes = ["".join(parts[: count + 1]) for count in range(len(parts))]
    for count in range(len(parts) - 1, -1, -1):
        if len(prefixes[count]) >= MIN_LENGTH and _checks_out(prefixes[count]):
            # "KZ 7067…", not "KZ86 …" or "KZ 86 …"
            label = count > 0 and len(parts[0]) == 2 and len(parts[1]) > 2
            found = Found(start, run[count][1], prefixes[count], True, label_apart=label)
            return found, first + count + 1
    if not strict:
        return None
    for count in range(len(parts) - 1, -1, -1):
        number = prefixes[count]
        ends_in_digits = any(c.isdigit() for c in parts[count])
        if ends_in_digits and len(number) >= MIN_LENGTH and _looks_like(number):
            return Found(start, run[count][1], number, False), first + count + 1
    return None


def find_all(text: str) -> list[Found]:
    r"""Every IBAN in free text, in any notation citizens use, left to right.

    Groups may be separated by any run of ``SEPARATORS`` (spaces of every width, line breaks,
    dots, dashes, slashes), in any grouping and case, after "IBAN:" or inside a sentence.

    >>> [(f.number, f.checked) for f in find_all("IBAN:de89-3704-0044-0532-0130-00, danke")]
    [('DE89370400440532013000', True)]
    >>> text = "DE89 3704\u00a00044\n0532/0130 00 und GB29 NWBK 6016 1331 9268 19"
    >>> [f.number for f in find_all(text)]
    ['DE89370400440532013000', 'GB29NWBK60161331926819']
    >>> [(f.number, f.checked) for f in find_all("de89 3704 0044 0532 0130 0")]  # a typo
    [('DE8937040044053201300', False)]
    >>> find_all("Kassenzeichen 4100.2026.0001, 48,00 Euro")
    []
    >>> find_all("mandate de12a4f0c9e84b7f9a1c2d3e4f5a6b7c")  # a hex id, far from DE's 22
    []
    >>> find_all("p-de13fd34305a8ee0d443")  # a hex id of DE's length less two: six letters
    []
    >>> [(f.number, f.checked) for f in find_all("DE89 3704 0044 0532 O130 00")]  # O for 0
    [('DE89370400440532O13000', False)]
    >>> [f.label_apart for f in find_all("KZ 4100.2026.0092 Betrag 48,00")]  # 1 in 97
    [True]
    """
    tokens = [match.span() for match in GROUP.finditer(text)]
    found: list[Found] = []
    index = 0
    while index < len(tokens):
        hit = _found_at(text, tokens, index)
        if hit is None:
            index += 1
            continue
        found.append(hit[0])
        index = hit[1]
    return found


def mask_all(text: str) -> str:
    """The text with every IBAN ``find_all`` finds replaced by ``mask`` of it.

    Repeated until nothing is found, so masking twice changes nothing (each round leaves fewer
    letters and digits, so it ends).

    >>> mask_all("meine iban ist DE89 3704 0044 0532 0130 00 danke")
    'meine iban ist DE89 **** **** **** **30 00 danke'
    >>> mask_all("de89/3704/0044/0532/0130/00")
    'DE89 **** **** **** **30 00'
    """
    while True:
        found = find_all(text)
        if not found:
            return text
        parts: list[str] = []
        last = 0
        for item in found:
            parts += [text[last : item.start], mask(item.number)]
            last = item.end
        parts.append(text[last:])
        text = "".join(parts)
