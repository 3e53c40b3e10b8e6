"""Hypothesis strategies: valid IBANs of every SEPA country, written the way citizens write them.

Shared by the finder's property tests and the web chat's JavaScript comparison
(tests/webchat/test_iban_finder_js.py), so both judge the same corpus.
"""

from __future__ import annotations

from hypothesis import assume
from hypothesis import strategies as st
from stdnum.iso7064 import mod_97_10

from rules import iban

_CHARACTERS = {
    "n": "0123456789",
    "a": "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
    "c": "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ",
}
# Countries with a national check inside the account number: the positions that carry it are
# searched until the IBAN validates.
_NATIONAL_CHECK = {"BE": (14, 16), "ES": (12, 14), "ME": (20, 22), "NO": (14, 15)}

# What people put between groups: spaces of every width (a PDF or online-banking paste), line
# breaks, dots, dashes, slashes, nothing at all, and the invisible characters of a paste.
SEPARATORS = [
    " ",
    "",
    "  ",
    "\u00a0",
    "\u2009",
    "\u202f",
    "\t",
    "\n",
    "\r\n",
    " \n",
    "-",
    "\u2013",
    " - ",
    ".",
    "/",
    " / ",
    "\u200b",
    "\u00ad",
]
WORDS = [
    "Meine",
    "IBAN",
    "IBAN:",
    "Iban:",
    "ist",
    "bitte",
    "danke!",
    "und",
    "Konto",
    "Kassenzeichen 4100 2026 0001,",
    "48,00 €",
    "Erika Mustermann",
    "(neu)",
    "my IBAN is",
    "\n",
    "Betrag: 312",
]


def _with_check_digits(country: str, bban: str) -> str:
    check = 98 - int(mod_97_10._to_base10(bban + country + "00")) % 97
    return f"{country}{check:02d}{bban}"


@st.composite
def sepa_ibans(draw: st.DrawFn) -> str:
    """A valid IBAN (compact) of any SEPA country, with its registry's structure."""
    country = draw(st.sampled_from(sorted(iban.SEPA_COUNTRIES)))
    structure = iban._bban_structure(country) or ""
    bban = "".join(
        draw(st.text(alphabet=_CHARACTERS[kind], min_size=int(size), max_size=int(size)))
        for size, kind in iban._STRUCTURE_PART.findall(structure)
    )
    number = _with_check_digits(country, bban)
    if country in _NATIONAL_CHECK:
        start, end = _NATIONAL_CHECK[country]
        for value in range(10 ** (end - start)):
            trial = bban[: start - 4] + f"{value:0{end - start}d}" + bban[end - 4 :]
            number = _with_check_digits(country, trial)
            if iban.is_valid(number):
                break
    assume(iban.is_valid(number))
    return number


@st.composite
def notations(draw: st.DrawFn, number: str) -> str:
    """The IBAN in some citizen's notation: grouping, separators, case."""
    style = draw(st.sampled_from(["fours", "compact", "random", "split_country", "spaced"]))
    if style == "fours":
        groups = [number[i : i + 4] for i in range(0, len(number), 4)]
    elif style == "compact":
        groups = [number]
    elif style == "spaced":
        groups = list(number)
    else:
        groups, rest = [], number
        if style == "split_country":
            groups, rest = [number[:2], number[2:4]], number[4:]
        while rest:
            size = draw(st.integers(min_value=1, max_value=8))
            groups.append(rest[:size])
            rest = rest[size:]
    one = draw(st.booleans())
    separator = draw(st.sampled_from(SEPARATORS))
    text = groups[0]
    for group in groups[1:]:
        text += separator if one else draw(st.sampled_from(SEPARATORS))
        text += group
    case = draw(st.sampled_from(["upper", "lower", "mixed"]))
    if case == "lower":
        return text.lower()
    if case == "mixed":
        flips = draw(st.lists(st.booleans(), min_size=len(text), max_size=len(text)))
        return "".join(c.lower() if flip else c for c, flip in zip(text, flips, strict=True))
    return text


@st.composite
def messages(draw: st.DrawFn) -> tuple[str, list[str]]:
    """A message holding one to three IBANs in citizens' notations among words; the IBANs."""
    numbers = draw(st.lists(sepa_ibans(), min_size=1, max_size=3))
    parts: list[str] = []
    for number in numbers:
        parts += draw(st.lists(st.sampled_from(WORDS), max_size=3))
        parts.append(draw(notations(number)))
    parts += draw(st.lists(st.sampled_from(WORDS), max_size=3))
    # Words stand apart from the IBANs: a space, a comma and space, or a line break.
    glue = draw(st.sampled_from([" ", ", ", "\n", ": "]))
    return glue.join(parts), numbers
