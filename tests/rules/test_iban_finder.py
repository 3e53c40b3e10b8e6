"""One IBAN finder for the payment form and every mask: what the form takes, the mask removes.

Generated IBANs of every SEPA country in citizens' notations (any grouping, separators of every
kind, case, words around them, several in one message) are found by the form's extractor, and
nothing the extractor takes survives the mask; masking twice changes nothing.
"""

from __future__ import annotations

import json
import re

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from actions.payment.extract import find_amount, find_iban, find_kassenzeichen
from bot.redaction import redact
from rules import iban
from tests.rules.iban_notations import SEPARATORS, messages, notations, sepa_ibans

PROPERTY = settings(
    max_examples=150,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
_ACCOUNT = re.compile(r"[A-Za-z0-9]+")


def _letters_and_digits(text: str) -> str:
    return "".join(_ACCOUNT.findall(text)).upper()


def _assert_nothing_taken_survives(text: str) -> str:
    masked = iban.mask_all(text)
    taken = iban.find_all(text)
    for found in taken:
        # the hidden middle of every IBAN the form would take is gone, in any spelling
        assert found.number[4:-4] not in _letters_and_digits(masked), (text, masked)
    assert iban.find_all(masked) == [], (text, masked)
    assert find_iban(masked) is None
    assert not iban.is_valid(masked)
    return masked


@PROPERTY
@given(messages())
@example(("IBAN:DE89\u00a03704\u00a00044\u00a00532\u00a00130\u00a000", ["DE89370400440532013000"]))
@example(("de89/3704/0044/0532/0130/00", ["DE89370400440532013000"]))
@example(("D E 8 9 3 7 0 4 0 0 4 4 0 5 3 2 0 1 3 0 0 0", ["DE89370400440532013000"]))
@example(("DE 89 3704 0044\r\n0532 0130 00", ["DE89370400440532013000"]))
@example(("DE89 370400440532013000 und GB29 NWBK 6016 1331 9268 19", []))
def test_every_iban_in_any_notation_is_taken_and_masked(case: tuple[str, list[str]]) -> None:
    text, numbers = case
    found = [item for item in iban.find_all(text) if item.checked]
    assert [item.number for item in found] == numbers or not numbers, (text, found)
    assert find_iban(text) == (found[0].number if found else None) or not numbers, text
    masked = _assert_nothing_taken_survives(text)
    for number in numbers:
        assert number[4:-4] not in _letters_and_digits(masked)
        assert iban.mask(number) in masked  # the format staff and citizens know
    assert iban.mask_all(masked) == masked


@PROPERTY
@given(sepa_ibans().flatmap(lambda n: st.tuples(st.just(n), notations(n))))
def test_whatever_validate_accepts_the_finder_takes(case: tuple[str, str]) -> None:
    # The form reads the whole message as the IBAN when it asked for one: validate() is then
    # the extractor, and it must take nothing the finder does not see.
    number, written = case
    assert iban.validate(written) == number
    assert find_iban(written) == number
    assert iban.mask_all(written) == iban.mask(number)


_SOUP = st.text(
    alphabet=st.sampled_from(
        [*"DEATGBNLFRNOabcdez0123456789", " ", "\u00a0", "-", ".", "/", "\n", ",", "*", ":"]
    ),
    max_size=80,
)


@PROPERTY
@given(_SOUP)
@example("DE89 3704 0044 0532 0130 00 DE89 3704 0044 0532 0130 00")
@example("AT61 1904 3002 3457 3201DE12 3456 7890 1234 5678 90")
def test_on_any_text_nothing_taken_survives_and_masking_is_idempotent(text: str) -> None:
    masked = _assert_nothing_taken_survives(text)
    assert iban.mask_all(masked) == masked
    if iban.is_valid(text):
        assert find_iban(text) == iban.compact(text)


@PROPERTY
@given(
    messages(),
    st.recursive(
        st.none() | st.integers() | st.sampled_from(["ok", "4100 2026 0001"]),
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
        max_leaves=6,
    ),
)
def test_every_field_and_key_of_an_event_is_masked(
    case: tuple[str, list[str]], shape: object
) -> None:
    text, numbers = case
    event = {
        "event": "user",
        "text": text,
        "parse_data": {"text": text, "entities": [{"entity": "iban", "value": text}]},
        "metadata": {"nested": [shape, {text: [text, {"deeper": text}]}]},
    }
    stored = json.dumps(redact(event), ensure_ascii=False)
    for number in numbers:
        assert number[4:-4] not in _letters_and_digits(stored)
    assert redact(json.loads(stored)) == json.loads(stored)


def test_an_entity_read_from_an_ibans_groups_is_masked_whole() -> None:
    text = "DE89/3704/0044/0532/0130/00"
    event = {
        "text": text,
        "entities": [{"entity": "kassenzeichen", "start": 5, "end": 19, "value": "3704/0044/0532"}],
    }
    assert redact(event)["entities"][0]["value"] == "****/****/****"


def test_the_separators_cover_every_white_space_and_dash() -> None:
    spaces = [chr(c) for c in range(0x110000) if chr(c).isspace()]
    assert iban.compact("".join(spaces) + "-\u2010\u2011\u2012\u2013\u2014\u2212./") == ""
    assert all(iban.compact(s) == "" for s in SEPARATORS)


def test_a_kassenzeichen_after_no_or_a_country_code_stays_a_kassenzeichen() -> None:
    for text in ("no 4100 2026 0001", "KZ 4100 2026 0001", "AT 4100.2026.0001"):
        assert iban.find_all(text) == [], text
        assert find_kassenzeichen(text) is not None, text


def test_kz_and_a_kassenzeichen_is_no_kazakh_iban() -> None:
    # "KZ" + twelve digits + the next six characters of the sentence is as long as a Kazakh
    # IBAN; for 1 in 97 of them the check digits hold (all these found by hypothesis). Masked
    # all the same, never taken by the form, which reads the Kassenzeichen and the amount.
    for text, kassenzeichen, amount in (
        ("KZ 6495.2530.3616 amount 0,01", "6495.2530.3616", "0,01"),
        ("KZ 4100.2026.0092 Betrag 48,00", "4100.2026.0092", "48,00"),
        ("KZ 7067.0659.3292 es sind 0,01", "7067.0659.3292", "0,01"),
        ("KZ 8150 1742 7918  1817.77", "8150 1742 7918", "1817.77"),
        ("KZ 406357040014 - 3303.00€", "406357040014", "3303.00"),
        ("KZ 6097 9733 7089 / 1310.73€", "6097 9733 7089", "1310.73"),
    ):
        (found,) = iban.find_all(text)
        assert found.checked and found.label_apart, text
        assert find_iban(text) is None, text
        assert find_kassenzeichen(text) == kassenzeichen, text
        assert find_amount(text) == amount, text
        assert kassenzeichen not in iban.mask_all(text), text


def test_a_sepa_iban_written_after_its_country_code_is_taken_whole() -> None:
    # The same shape as "KZ 4063…", but a German IBAN can be debited: no Kassenzeichen is read
    # from its digits, and the IBAN is taken.
    for text in ("DE 893704004405 32013000", "IBAN DE 8937 0400 4405 3201 3000 bitte"):
        (found,) = iban.find_all(text)
        assert found.label_apart, text
        assert find_iban(text) == "DE89370400440532013000", text
        assert find_kassenzeichen(text) is None, text


def test_ids_and_tokens_are_left_alone() -> None:
    for text in (
        "de12a4f0c9e84b7f9a1c2d3e4f5a6b7c",  # uuid4().hex, shaped like a German IBAN's start
        "wamid.HBgLNDkxNTE1MTIzNDU2FQIAEhgg",
        "SR-2026-000123",
        "4100.2026.0001",
    ):
        assert iban.mask_all(text) == text
