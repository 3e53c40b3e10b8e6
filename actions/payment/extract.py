"""Finding the values of the payment form in what the citizen wrote, in any order.

Entities from the NLU come first (the form base reads them); these finders read values from the
text in any message.

>>> find_iban("meine IBAN: DE89 3704 0044 0532 0130 00, Betrag 48,00")
'DE89370400440532013000'
>>> find_iban("GB29 NWBK 6016 1331 9268 19 bitte")
'GB29NWBK60161331926819'
>>> find_iban("de89.3704.0044.0532.0130.0")  # a digit short: still the candidate, for the error
'DE8937040044053201300'
>>> find_iban("Kassenzeichen 4100.2026.0001") is None
True
>>> find_kassenzeichen("Kassenzeichen 4100.2026.0001, 48,00 Euro")
'4100.2026.0001'
>>> find_kassenzeichen("DE89 3704 0044 0532 0130 00") is None
True
>>> find_kassenzeichen("4100 2026 0006 312"), find_amount("4100 2026 0006 312")
('4100 2026 0006', '312')
>>> find_kassenzeichen("312 € für 4100 2026 0006"), find_amount("KZ 410020260006, Betrag 312")
('4100 2026 0006', '312')
>>> find_amount("123456") is None  # a signing code, not money
True
>>> find_holder("Erika Mustermann DE89 3704 0044 0532 0130 00")
'Erika Mustermann'
>>> find_signing_code("Der Code ist 123 456.")
'123456'
>>> find_email("an erika@example.de bitte")
'erika@example.de'
>>> strip_name_phrase("Mein Name ist Erika Mustermann")
'Erika Mustermann'
"""

from __future__ import annotations

import re

from actions import keywords
from rules import iban as iban_validator

# Twelve digits, in groups of four or not, with any separator citizens use between the groups.
# An IBAN's digit groups are masked before these are searched (``_without``). One separator used
# throughout is tried first: then only that separator with more digits around it ("… 0006 1234")
# makes the run part of a longer number, so "0000-0000-0000 1000,00" is both values. Mixed
# separators are read when nothing else is found, as strictly as before.
# " 1234" after "4100 2026 0006" is a fourth group of a longer number, " 1234,00" or " 1234 €"
# an amount.
_FOURTH_GROUP = r" [0-9]{4}(?![0-9]|[.,][0-9]|[.,][-–]|\s?(?:€|[eE][uU][rR]))"
_KZ_CONSISTENT = [
    re.compile(
        rf"(?<![0-9A-Za-z])(?<![0-9]{{4}}{sep})[0-9]{{4}}{sep}[0-9]{{4}}{sep}[0-9]{{4}}"
        rf"(?![0-9A-Za-z])(?!{longer})"
    )
    # After the run, what would make it part of a longer number with the same separator.
    for sep, longer in (
        (r"\.", r"\.[0-9]"),
        ("-", "-[0-9]"),
        ("/", "/[0-9]"),
        (" ", _FOURTH_GROUP),
    )
]
_KZ_COMPACT = re.compile(r"(?<![0-9A-Za-z])[0-9]{12}(?![0-9A-Za-z])(?![.,][0-9])")
_KZ_MIXED = re.compile(
    r"(?<![0-9A-Za-z])(?<![0-9]{4}[. ])[0-9]{4}[ .\-/]?[0-9]{4}[ .\-/]?[0-9]{4}"
    r"(?![0-9A-Za-z])(?![.\-/]?[0-9])(?! [0-9]{4}(?![0-9]))"
)
# A number as citizens write an amount: "312", "312,00", "1.234,56", "48,-", "€ 48".
_AMOUNT = re.compile(
    r"(?<![0-9A-Za-z.,])(?P<before>€\s?)?(?P<number>[0-9]+(?:[.,'][0-9]+)*(?:[.,][-–])?)"
    r"(?P<after>\s?(?:€|eur\b|euros?\b))?(?![0-9]|[.,][0-9])",
    re.IGNORECASE,
)
_DATE = re.compile(r"(?<![0-9])[0-9]{1,2}\.[0-9]{1,2}\.(?:[0-9]{2,4})?(?![0-9])")
_TIME = re.compile(r"(?<![0-9])[0-9]{1,2}[:.][0-9]{2}\s?uhr\b", re.IGNORECASE)
_SIGNING_CODE = re.compile(r"(?<![0-9])[0-9]{3}[ -]?[0-9]{3}(?![0-9])")
_EMAIL = re.compile(r"[^\s<>()\[\],;:]+@[^\s<>()\[\],;:]+\.[A-Za-z]{2,63}")


def find_iban(text: str) -> str | None:
    """The IBAN in the text, compact, or None: the first that checks out, else the first near
    miss (so that the citizen hears what is wrong with it).

    The finder is ``rules.iban.find_all``, the one the tracker store's masking uses: whatever
    is taken here as an IBAN is masked wherever the conversation is stored or shown. A find
    that is "KZ" and a Kassenzeichen ("KZ 4100.2026.0092 Betrag", "KZ 8150 1742 7918 1817.77")
    is masked but not taken: it is far likelier that than a Kazakh IBAN.
    """
    found = _ibans(text)
    if not found:
        return None
    return next((item.number for item in found if item.checked), found[0].number)


def find_kassenzeichen(text: str) -> str | None:
    """The Kassenzeichen in the text, as written, or None; never an IBAN's digit groups."""
    match = _find_kassenzeichen(text, _taken_spans(text))
    return match.group(0) if match else None


def _find_kassenzeichen(text: str, taken: list[tuple[int, int]]) -> re.Match[str] | None:
    """The Kassenzeichen outside `taken` (the IBANs and e-mail addresses, `_taken_spans`)."""
    rest = _without(text, taken)
    rest = _without(rest, _date_spans(rest))
    found = [m for p in (*_KZ_CONSISTENT, _KZ_COMPACT) if (m := p.search(rest))]
    if found:
        return min(found, key=lambda match: match.start())
    return _KZ_MIXED.search(rest)


def _date_spans(text: str) -> list[tuple[int, int]]:
    return [m.span() for m in (*_DATE.finditer(text), *_TIME.finditer(text))]


def find_amount(text: str) -> str | None:
    """The amount in a message that gives it beside other values, or None.

    A number counts as the amount when it is the only one left once the Kassenzeichen, the
    IBAN, the e-mail, dates and times are taken out, and the message says it is money (a
    currency, a word such as "Betrag" in ``data/keywords`` ``amount_words``) or also holds the
    Kassenzeichen ("4100 2026 0006 312"). A lone six-digit run (the signing code) never is.
    Of several numbers, the one marked as money wins if it is the only one so marked.
    """
    spans = _taken_spans(text)  # the IBAN finder runs once per message, not per value
    kassenzeichen = _find_kassenzeichen(text, spans)
    if kassenzeichen:
        spans.append(kassenzeichen.span())
    rest = _without(text, spans)
    rest = _without(rest, _date_spans(rest))
    found = list(_AMOUNT.finditer(rest))
    if not found:
        return None
    marked = [m for m in found if m.group("before") or m.group("after")]
    worded = keywords.pattern("amount_words").search(rest) is not None
    if not (kassenzeichen or marked or worded):
        return None
    if len(found) == 1:
        chosen = found[0]
    elif len(marked) == 1:
        chosen = marked[0]
    else:
        return None
    return chosen.group("number")


def _ibans(text: str) -> list[iban_validator.Found]:
    return [f for f in iban_validator.find_all(text) if not _labelled_kassenzeichen(text, f)]


def _labelled_kassenzeichen(text: str, found: iban_validator.Found) -> bool:
    """Whether a find is "KZ" and a Kassenzeichen rather than an IBAN.

    So when its country code stands apart as a label (``Found.label_apart``), a Kassenzeichen
    starts right after it, and the IBAN could not be debited anyway (not SEPA, as Kazakhstan):
    nothing is lost by the Kassenzeichen reading, and the sentence's values are kept.
    """
    if not found.label_apart or found.number[:2] in iban_validator.SEPA_COUNTRIES:
        return False
    groups = iban_validator.GROUP.finditer(text, found.start, found.end)
    next(groups)
    number = next(groups).start()
    return any(pattern.match(text, number) for pattern in (*_KZ_CONSISTENT, _KZ_COMPACT, _KZ_MIXED))


def _iban_spans(text: str) -> list[tuple[int, int]]:
    return [(item.start, item.end) for item in _ibans(text)]


def _taken_spans(text: str) -> list[tuple[int, int]]:
    return _iban_spans(text) + _email_spans(text)


def _email_spans(text: str) -> list[tuple[int, int]]:
    return [match.span() for match in _EMAIL.finditer(text)]


def _without(text: str, spans: list[tuple[int, int]], fill: str = " ") -> str:
    """The text with the spans blanked (same length, so positions stay valid)."""
    for start, end in spans:
        text = text[:start] + fill * (end - start) + text[end:]
    return text


def find_holder(text: str) -> str | None:
    """The account holder's name written beside an IBAN ("Erika Mustermann DE89 …"), or None.

    Only next to an IBAN: what is left without the IBAN, the words naming it (``data/keywords``
    ``iban_fillers``) and a name phrase, if that is two to five capitalised words.
    """
    spans = _iban_spans(text)
    if not spans:
        return None
    rest = _without(text, spans + _email_spans(text), fill=",")
    fillers = keywords.pattern("iban_fillers")
    for part in re.split(r"[,;:\n]|\s-\s", rest):
        words = [w for w in re.split(r"\s+", strip_name_phrase(part).strip(" .!?")) if w]
        # Words naming the IBAN or joining the values, before and after the name only.
        while words and (fillers.fullmatch(words[0]) or not words[0][:1].isupper()):
            words.pop(0)
        while words and fillers.fullmatch(words[-1]):
            words.pop()
        capitalised = sum(w[:1].isupper() for w in words)
        if 2 <= len(words) <= 5 and capitalised >= 2 and all(map(_NAME_WORD.fullmatch, words)):
            return " ".join(words)
    return None


_NAME_WORD = re.compile(r"[^\W\d_][\w'’\-.]*")


def find_signing_code(text: str) -> str | None:
    match = _SIGNING_CODE.search(text)
    return re.sub(r"[ -]", "", match.group(0)) if match else None


def find_email(text: str) -> str | None:
    match = _EMAIL.search(text)
    return match.group(0) if match else None


def strip_name_phrase(text: str) -> str:
    """Drop "Mein Name ist", "my name is", … (``data/keywords``) in front of a name."""
    phrases = keywords.pattern("name_phrases").pattern
    return re.sub(rf"^(?:{phrases})\s+", "", text.strip(), count=1, flags=re.IGNORECASE).strip()
