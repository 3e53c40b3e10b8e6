"""The conversations the simulated citizens have, turn by turn, with what each reply must say.

Every turn has a *kind*, so that latencies are reported per kind: a greeting costs the NLU and
a rule, a Kassenzeichen check costs a round trip to the action server and on to the portal.
The phrases are those of the end-to-end and conversation tests, so the NLU knows them.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import yaml

from bot.settings import ROOT

INVOICES = ROOT / "data" / "demo" / "invoices.yml"

# The turn the single-citizen target is about: Rasa → action server → portal and back.
PORTAL_TURN = "payment_step_action"


@dataclass(frozen=True)
class Turn:
    kind: str
    message: str
    # The reply must contain every one of these (case-sensitive, as the citizen reads it).
    expect: tuple[str, ...]
    # Send the payload of one of the buttons of the previous reply instead of `message`.
    press_button: bool = False


@dataclass(frozen=True)
class Conversation:
    name: str
    turns: tuple[Turn, ...]


@dataclass(frozen=True)
class Invoice:
    kassenzeichen: str
    amount: Decimal
    purpose: str


def open_invoices(path: Path = INVOICES) -> list[Invoice]:
    """The demo invoices a citizen can still pay (the portal seeds the same file)."""
    entries = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [
        Invoice(str(entry["kassenzeichen"]), Decimal(str(entry["amount"])), str(entry["purpose"]))
        for entry in entries
        if entry.get("payment_state", "open") == "open"
    ]


def german_amount(amount: Decimal) -> str:
    """The amount as a German citizen writes it.

    >>> german_amount(Decimal("1234.5"))
    '1234,50'
    """
    return f"{amount:.2f}".replace(".", ",")


def greeting_and_faq() -> Conversation:
    return Conversation(
        "greeting and questions",
        (
            Turn("greet", "Hallo", ("Wie kann ich Ihnen helfen?",)),
            Turn("faq", "wie hoch ist die hundesteuer", ("60 €", "Quelle: https://")),
            Turn("faq", "wann hat das standesamt offen", ("Standesamt",)),
            Turn("thank", "danke", ("Gern geschehen",)),
            Turn("goodbye", "tschüss", ("Auf Wiedersehen",)),
        ),
    )


def payment_de(invoice: Invoice, citizen: int) -> Conversation:
    """Up to the mandate text; nobody signs, so no mandate is created and no mail sent."""
    return Conversation(
        "payment up to the mandate text (de)",
        (
            Turn("greet", "Guten Tag", ("Wie kann ich Ihnen helfen?",)),
            Turn(
                "payment_start",
                "Ich möchte meine Rechnung per Lastschrift bezahlen",
                ("Kassenzeichen",),
            ),
            Turn(
                PORTAL_TURN,
                f"Kassenzeichen {invoice.kassenzeichen}, {german_amount(invoice.amount)} Euro",
                ("gefunden", invoice.purpose),
            ),
            Turn("payment_step", "Lena Becker", ("IBAN",)),
            Turn("payment_step", "de89 3704 0044 0532 0130 00", ("DE89 **** **** **** **30 00",)),
            Turn("mandate_text", f"lena.{citizen}@example.de", ("Ich ermächtige",)),
        ),
    )


def payment_en(invoice: Invoice, citizen: int) -> Conversation:
    return Conversation(
        "payment up to the mandate text (en)",
        (
            Turn("change_language", "Can we speak English?", ("continue in English",)),
            Turn(
                "payment_start",
                "I want to pay an invoice by direct debit",
                ("Kassenzeichen",),
            ),
            Turn(
                PORTAL_TURN,
                f"Kassenzeichen {invoice.kassenzeichen}, {invoice.amount:.2f} EUR",
                ("I found your invoice", invoice.purpose),
            ),
            Turn("payment_step", "Peter Hoffmann", ("IBAN",)),
            Turn("payment_step", "AT61 1904 3002 3457 3201", ("AT61 **** **** **** 3201",)),
            Turn("mandate_text", f"peter.{citizen}@example.org", ("I authorise",)),
        ),
    )


def bulky_waste() -> Conversation:
    return Conversation(
        "bulky waste pickup",
        (
            Turn("service_start", "ich will sperrmuell anmelden", ("Adresse",)),
            Turn("service_step", "Ketzerbach 12", ("Was soll abgeholt werden?",)),
            # The free pickup dates come from the portal.
            Turn(
                "service_step_action",
                "Sofa, zwei Stühle und ein Schrank",
                ("An welchem dieser Tage",),
            ),
            Turn("service_request", "", ("Vorgangsnummer: SR-",), press_button=True),
            Turn("feedback", "ja", ("noch etwas dazu sagen",)),
            Turn("feedback", "nein", ("Danke für Ihre Rückmeldung",)),
        ),
    )


def issue_report() -> Conversation:
    return Conversation(
        "pothole report",
        (
            Turn("service_start", "ich möchte ein schlagloch melden", ("Was möchten Sie melden?",)),
            Turn("service_step", "pothole", ("Wo ist das?",)),
            Turn("service_step", "Universitätsstraße 7", ("beschreiben",)),
            Turn(
                "service_request",
                "ein tiefes Loch in der Fahrbahn vor der Einfahrt",
                ("Vorgangsnummer: SR-",),
            ),
        ),
    )


def citizen_conversations(citizen: int, invoices: list[Invoice]) -> list[Conversation]:
    """One citizen's round: the same mix for everybody, starting at a different place."""
    invoice = invoices[citizen % len(invoices)]
    mix = [
        greeting_and_faq(),
        payment_de(invoice, citizen),
        bulky_waste(),
        payment_en(invoices[(citizen + 1) % len(invoices)], citizen),
        issue_report(),
    ]
    start = citizen % len(mix)
    return mix[start:] + mix[:start]


# Rasa's moodbot (rasa/cli/initial_project): its stories cover these paths.
def baseline_conversations(citizen: int) -> list[Conversation]:
    sad = Conversation(
        "moodbot: sad, helped",
        (
            Turn("greet", "hello", ("Hey! How are you?",)),
            Turn("mood", "I am sad", ("Did that help you?",)),
            Turn("affirm", "yes", ("Great, carry on!",)),
            Turn("goodbye", "bye", ("Bye",)),
        ),
    )
    happy = Conversation(
        "moodbot: happy, asks",
        (
            Turn("greet", "good morning", ("Hey! How are you?",)),
            Turn("mood", "I am great", ("Great, carry on!",)),
            Turn("bot_challenge", "are you a bot?", ("I am a bot",)),
            Turn("goodbye", "see you later", ("Bye",)),
        ),
    )
    unhelped = Conversation(
        "moodbot: sad, not helped",
        (
            Turn("greet", "hey there", ("Hey! How are you?",)),
            Turn("mood", "very unhappy", ("Did that help you?",)),
            Turn("deny", "no", ("Bye",)),
            Turn("greet", "hi", ("Hey! How are you?",)),
            Turn("mood", "perfect", ("Great, carry on!",)),
        ),
    )
    mix = [sad, happy, unhelped]
    start = citizen % len(mix)
    return mix[start:] + mix[:start]
