"""Values given together, in the notations citizens use (issue 17, point 1).

Property tests over generated Kassenzeichen/amount/IBAN/holder messages on the finders of
``actions/payment/extract.py``, then the payment form itself on the messages from the issue:
a value given once is never asked again.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from payment_fake_portal import FakePortal
from payment_harness import Conversation

from actions.payment.extract import find_amount, find_holder, find_iban, find_kassenzeichen
from actions.payment.finish import ActionPaymentSubmit
from actions.payment.form import ValidatePaymentForm
from rules import amount as amount_rule
from rules import kassenzeichen as kassenzeichen_rule

QUICK = settings(
    max_examples=300,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)

SEPARATORS = st.sampled_from([".", " ", "-", "/", ""])
KZ_PREFIXES = st.sampled_from(
    ["", "KZ ", "Kassenzeichen ", "Kassenzeichen: ", "reference ", "Nr. "]
)
AMOUNT_PREFIXES = st.sampled_from(["", "Betrag ", "Betrag: ", "amount ", "es sind "])
JOINERS = st.sampled_from([" ", ", ", " für ", " / ", "; ", " und ", " - ", "  ", " for "])


@st.composite
def kassenzeichen_texts(draw: st.DrawFn) -> tuple[str, str]:
    digits = draw(st.text("0123456789", min_size=12, max_size=12))
    separator = draw(SEPARATORS)
    written = separator.join(digits[i : i + 4] for i in range(0, 12, 4))
    return digits, draw(KZ_PREFIXES) + written


@st.composite
def amount_texts(draw: st.DrawFn) -> tuple[Decimal, str, bool]:
    """An amount, its notation, and whether the notation marks it as money."""
    cents = draw(st.integers(min_value=1, max_value=99_999_99))
    value = Decimal(cents) / 100
    euros, rest = divmod(cents, 100)
    whole = rest == 0
    plain = str(euros)
    notations = [f"{euros},{rest:02d}", f"{euros}.{rest:02d}"]
    if whole:
        notations += [plain, f"{plain},-", f"{plain},00"]
    if euros >= 1000:
        notations.append(f"{euros:,}".replace(",", ".") + f",{rest:02d}")
        notations.append(f"{euros:,}" + f".{rest:02d}")
    number = draw(st.sampled_from(notations))
    currency = draw(st.sampled_from(["", " €", "€", " Euro", " EUR", " euro", "€ ", "€"]))
    if currency.startswith("€") and currency in ("€ ",):
        text, marked = f"€ {number}", True
    elif currency:
        text, marked = f"{number}{currency}", True
    else:
        text, marked = number, False
    prefix = draw(AMOUNT_PREFIXES)
    return value, prefix + text, marked


@given(kassenzeichen_texts(), amount_texts(), JOINERS, st.booleans())
@example(("649525303616", "KZ 6495.2530.3616"), (Decimal("0.01"), "amount 0,01", False), " ", True)
@example(("410020260092", "KZ 4100.2026.0092"), (Decimal("48"), "Betrag 48,00", False), " ", True)
@example(("706706593292", "KZ 7067.0659.3292"), (Decimal("0.01"), "es sind 0,01", False), " ", True)
@example(("150732599739", "KZ 1507.3259.9739"), (Decimal("123.45"), "123,45", False), " und ", True)
@example(("815017427918", "KZ 8150 1742 7918"), (Decimal("1817.77"), "1817.77", False), "  ", True)
@QUICK
def test_kassenzeichen_and_amount_in_one_message_in_any_order(
    kz: tuple[str, str], amount: tuple[Decimal, str, bool], joiner: str, kz_first: bool
) -> None:
    digits, kz_text = kz
    value, amount_text, marked = amount
    text = f"{kz_text}{joiner}{amount_text}" if kz_first else f"{amount_text}{joiner}{kz_text}"
    found_kz = find_kassenzeichen(text)
    found_amount = find_amount(text)
    # Never a wrong value.
    if found_kz is not None:
        assert kassenzeichen_rule.validate(found_kz) == digits, text
    if found_amount is not None:
        assert amount_rule.validate(found_amount) == value, text
    # Always both, except a bare group of four digits beside a Kassenzeichen written in groups
    # of four with spaces ("4100 2026 0006 1234", "1234 4100 2026 0006"): that may be one
    # sixteen-digit number, so it is asked instead of guessed.
    bare = amount_text.split()[-1] if kz_first else amount_text
    bare_fourth_group = (
        not marked
        and joiner.strip() == ""
        and bare.isdigit()
        and len(bare) == 4
        and kz_text[4:5] == " "
        and (kz_first or kz_text[:1].isdigit())
    )
    if not bare_fourth_group:
        assert found_kz is not None, text
        assert found_amount is not None, text


IBANS = st.sampled_from(
    [
        ("DE89 3704 0044 0532 0130 00", "DE89370400440532013000"),
        ("DE89370400440532013000", "DE89370400440532013000"),
        ("de89 3704 0044 0532 0130 00", "DE89370400440532013000"),
        ("GB29 NWBK 6016 1331 9268 19", "GB29NWBK60161331926819"),
        ("AT61 1904 3002 3457 3201", "AT611904300234573201"),
    ]
)
NAMES = st.sampled_from(
    ["Erika Mustermann", "Jörg Müller-Lüdenscheidt", "Ayşe Yılmaz", "Anna von Berg"]
)
HOLDER_TEMPLATES = st.sampled_from(
    [
        "{name} {iban}",
        "{name}, {iban}",
        "{iban} {name}",
        "{iban}, {name}",
        "Kontoinhaber: {name}, IBAN {iban}",
        "meine IBAN ist {iban} und der Name {name}",
        "IBAN: {iban} - Inhaber: {name}",
        "my name is {name}, my IBAN is {iban}",
        "{name}; IBAN {iban}",
    ]
)


@given(IBANS, NAMES, HOLDER_TEMPLATES)
@QUICK
def test_holder_and_iban_together(iban: tuple[str, str], name: str, template: str) -> None:
    written, compact = iban
    text = template.format(name=name, iban=written)
    assert find_iban(text) == compact, text
    assert find_holder(text) == name, text
    assert find_kassenzeichen(text) is None, text
    assert find_amount(text) is None, text


SENTENCES = st.sampled_from(
    [
        "Meine IBAN lautet {iban}, bitte abbuchen.",
        "ok hier: {iban} danke",
        "Die Nummer ist {iban} glaube ich",
        "please use {iban} for it",
    ]
)


@given(IBANS, SENTENCES)
@QUICK
def test_an_iban_in_the_middle_of_a_sentence(iban: tuple[str, str], sentence: str) -> None:
    written, compact = iban
    text = sentence.format(iban=written)
    assert find_iban(text) == compact
    assert find_kassenzeichen(text) is None
    assert find_amount(text) is None
    assert find_holder(text) is None


@given(st.text("0123456789 -", min_size=6, max_size=9))
@QUICK
def test_a_signing_code_is_never_an_amount(code: str) -> None:
    assert find_amount(code) is None or find_kassenzeichen(code) is not None


# The payment form on the messages of the issue -------------------------------------------


def start() -> Conversation:
    return Conversation(ValidatePaymentForm(), ActionPaymentSubmit())


@pytest.mark.parametrize(
    "message",
    [
        "4100.2026.0001 48,00",
        "48 € für 4100 2026 0001",
        "KZ 410020260001, Betrag 48",
        "4100 2026 0001 48",
        "48,- 4100-2026-0001",
        "Kassenzeichen 4100/2026/0001 und 48.00 EUR",
    ],
)
def test_both_values_in_one_message_are_taken_at_once(portal: FakePortal, message: str) -> None:
    talk = start()
    assert talk.say(message) == ["utter_invoice_found", "utter_ask_account_holder"]
    assert talk.slots["kassenzeichen"] == "4100.2026.0001"
    assert talk.slots["invoice_amount"] == "48.00"


def test_holder_and_iban_together_then_no_question_again(portal: FakePortal) -> None:
    talk = start()
    talk.say("4100 2026 0001 48")
    replies = talk.say("Erika Mustermann DE89 3704 0044 0532 0130 00")
    assert replies == ["utter_iban_accepted", "utter_ask_email"]
    assert talk.slots["account_holder"] == "Erika Mustermann"
    assert talk.slots["iban"].startswith("DE89")


def test_an_iban_given_early_is_not_asked_again(portal: FakePortal) -> None:
    talk = start()
    talk.say("4100.2026.0001 48,00")
    assert talk.say("Erika Mustermann") == ["utter_ask_iban"]
    talk.say("Meine IBAN lautet DE89 3704 0044 0532 0130 00, danke")
    assert talk.slots["iban"].startswith("DE89")
    assert talk.bot[-1]["response"] == "utter_ask_email"
