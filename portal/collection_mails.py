"""Mails about collections, in the language of the mandate (German, or English).

Pre-notification (amount, date, mandate reference, creditor id), revocation (German and
English, to whoever's account it was), a returned debit (what happened and what to do), a lapsed
mandate.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import yaml

from portal.mandate_text import date_de, euro_de

# ISO 20022 reason codes a bank sends back, in words a citizen understands
REASONS: dict[str, tuple[str, str]] = {
    "AC01": ("die IBAN ist falsch", "the IBAN is wrong"),
    "AC04": ("das Konto ist aufgelöst", "the account is closed"),
    "AC06": ("das Konto ist gesperrt", "the account is blocked"),
    "AG01": ("das Konto lässt keine Lastschriften zu", "the account does not allow direct debits"),
    "AM04": ("das Konto war nicht gedeckt", "the account did not have sufficient funds"),
    "MD01": ("Ihre Bank kennt kein Mandat dafür", "your bank holds no mandate for it"),
    "MD06": ("Sie haben die Erstattung verlangt", "you asked your bank for a refund"),
    "MD07": ("die Kontoinhaberin/der Kontoinhaber ist verstorben", "the account holder has died"),
    "MS02": ("Sie oder Ihre Bank haben widersprochen", "you or your bank refused the debit"),
    "MS03": ("Ihre Bank hat sie ohne Angabe von Gründen abgelehnt", "your bank gave no reason"),
    "SL01": (
        "Ihre Bank hat einen Dienst zur Lastschriftsperre",
        "a direct debit block at your bank",
    ),
}
# after these the mandate cannot be used again: the account or the mandate is gone
MANDATE_ENDING = frozenset({"AC01", "AC04", "AC06", "AG01", "MD01", "MD07"})


@dataclass(frozen=True)
class About:
    language: str
    creditor_name: str
    creditor_id: str
    mandate_reference: str
    kassenzeichen: str  # formatted
    purpose: str
    iban_masked: str


def _en(about: About) -> bool:
    return about.language == "en"


def prenotification(about: About, amount_cents: int, day: dt.date) -> tuple[str, str]:
    if _en(about):
        return (
            f"Advance notice of a SEPA direct debit on {day.isoformat()}",
            f"Hello,\n\nwe will collect {amount_cents / 100:.2f} EUR on {day.isoformat()} from"
            f" the account {about.iban_masked}.\n\nCreditor: {about.creditor_name}\n"
            f"Creditor ID: {about.creditor_id}\nMandate reference: {about.mandate_reference}\n"
            f"Kassenzeichen: {about.kassenzeichen} ({about.purpose})\n\n"
            "Please make sure the account holds enough money on that day. You can ask your bank"
            " for a refund within eight weeks of the debit.\n",
        )
    return (
        f"Vorabankündigung einer SEPA-Lastschrift am {date_de(day)}",
        f"Guten Tag,\n\nwir ziehen am {date_de(day)} {euro_de(amount_cents)} von dem Konto"
        f" {about.iban_masked} ein.\n\nZahlungsempfänger: {about.creditor_name}\n"
        f"Gläubiger-Identifikationsnummer: {about.creditor_id}\n"
        f"Mandatsreferenz: {about.mandate_reference}\n"
        f"Kassenzeichen: {about.kassenzeichen} ({about.purpose})\n\n"
        "Bitte sorgen Sie für ausreichende Deckung des Kontos. Sie können innerhalb von acht"
        " Wochen, beginnend mit dem Belastungsdatum, die Erstattung verlangen.\n",
    )


def revocation(about: About, contact: str, signed: bool = True) -> tuple[str, str]:
    """To the account holder on every revocation, whoever revoked it: German first, then
    English. It names the mandate (or the request, when it was never signed), the invoice, and
    what to do when the holder did not revoke it: someone else knew the invoice's data."""
    if signed:
        de_what = f"Ihr SEPA-Lastschriftmandat {about.mandate_reference}"
        en_what = f"your SEPA direct debit mandate {about.mandate_reference}"
        de_effect = "Wir ziehen damit nichts mehr von dem Konto {iban} ein."
        en_effect = "Nothing more will be collected with it from the account {iban}."
        de_todo = (
            "Bitte überweisen Sie, was noch fällig wird, unter Angabe des Kassenzeichens, oder"
            " erteilen Sie ein neues Mandat."
        )
        en_todo = (
            "Please pay what is still due by bank transfer, quoting the Kassenzeichen, or give"
            " a new mandate."
        )
    else:
        de_what = "Ihr noch nicht unterschriebenes SEPA-Lastschriftmandat"
        en_what = "your SEPA direct debit mandate, not yet signed,"
        de_effect = "Es wird nicht mehr gültig; von dem Konto {iban} wird damit nichts eingezogen."
        en_effect = (
            "It will not become valid; nothing is collected with it from the account {iban}."
        )
        de_todo = "Sie müssen nichts tun."
        en_todo = "You need not do anything."
    invoice_de = f"Kassenzeichen {about.kassenzeichen} ({about.purpose})"
    de_named = about.mandate_reference if signed else f"zum Kassenzeichen {about.kassenzeichen}"
    en_named = about.mandate_reference if signed else f"for Kassenzeichen {about.kassenzeichen}"
    subject = (
        f"SEPA-Lastschriftmandat {de_named} widerrufen"
        f" / SEPA direct debit mandate {en_named} revoked"
    )
    text = (
        f"Guten Tag,\n\n{de_what} zum {invoice_de} ist widerrufen."
        f" {de_effect.format(iban=about.iban_masked)}\n{de_todo}\n\n"
        "Haben Sie das nicht selbst veranlasst? Dann kennt jemand anderes Kassenzeichen und"
        f" Betrag dieser Rechnung. Bitte melden Sie sich umgehend bei {about.creditor_name}"
        f" ({contact}) und nennen Sie das Kassenzeichen.\n\n"
        f"Zahlungsempfänger: {about.creditor_name}\n"
        f"Gläubiger-Identifikationsnummer: {about.creditor_id}\n\n"
        "-- English --\n\n"
        f"Hello,\n\n{en_what} for {invoice_de} is revoked."
        f" {en_effect.format(iban=about.iban_masked)}\n{en_todo}\n\n"
        "Did you not do this yourself? Then someone else knows the Kassenzeichen and amount of"
        f" this invoice. Please contact {about.creditor_name} ({contact}) at once and quote the"
        " Kassenzeichen.\n\n"
        f"Creditor: {about.creditor_name}\nCreditor ID: {about.creditor_id}\n"
    )
    return subject, text


def treasury_contact(data_dir: Path) -> str:
    """How to reach the city's treasury, from the city's data (``offices.finanzservice``)."""
    try:
        raw = yaml.safe_load((data_dir / "city.yml").read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError):
        raw = {}
    office = (raw.get("offices") or {}).get("finanzservice") or {}
    parts = [str(office[key]) for key in ("phone", "email") if office.get(key)]
    if not parts and raw.get("switchboard_phone"):
        parts = [str(raw["switchboard_phone"])]
    return ", ".join(parts) or str(raw.get("website") or "")


def returned(about: About, amount_cents: int, day: dt.date, reason: str) -> tuple[str, str]:
    german, english = REASONS.get(
        reason, ("Ihre Bank hat sie zurückgegeben", "your bank returned it")
    )
    ending = reason in MANDATE_ENDING
    if _en(about):
        todo = (
            "This mandate can no longer be used. Please transfer the amount, quoting the"
            " Kassenzeichen, or give a new mandate for another account."
            if ending
            else "Please transfer the amount, quoting the Kassenzeichen. The mandate stays in"
            " place for the next due dates."
        )
        return (
            f"Direct debit of {day.isoformat()} returned ({reason})",
            f"Hello,\n\nthe direct debit of {amount_cents / 100:.2f} EUR on {day.isoformat()}"
            f" (Kassenzeichen {about.kassenzeichen}, mandate {about.mandate_reference}) was"
            f" returned: {english} (reason code {reason}).\n\n{todo}\n",
        )
    todo = (
        "Dieses Mandat kann nicht mehr genutzt werden. Bitte überweisen Sie den Betrag unter"
        " Angabe des Kassenzeichens oder erteilen Sie ein neues Mandat für ein anderes Konto."
        if ending
        else "Bitte überweisen Sie den Betrag unter Angabe des Kassenzeichens. Das Mandat gilt"
        " für die nächsten Fälligkeiten weiter."
    )
    return (
        f"Lastschrift vom {date_de(day)} zurückgegeben ({reason})",
        f"Guten Tag,\n\ndie Lastschrift über {euro_de(amount_cents)} vom {date_de(day)}"
        f" (Kassenzeichen {about.kassenzeichen}, Mandat {about.mandate_reference}) wurde"
        f" zurückgegeben: {german} (Grund {reason}).\n\n{todo}\n",
    )


def lapsed(about: About) -> tuple[str, str]:
    if _en(about):
        return (
            f"Your SEPA direct debit mandate {about.mandate_reference} has lapsed",
            f"Hello,\n\nyour mandate {about.mandate_reference} (Kassenzeichen"
            f" {about.kassenzeichen}) was not used for 36 months and has therefore lapsed"
            " (SEPA rules). If you want us to collect again, please give a new mandate.\n",
        )
    return (
        f"Ihr SEPA-Lastschriftmandat {about.mandate_reference} ist erloschen",
        f"Guten Tag,\n\nIhr Mandat {about.mandate_reference} (Kassenzeichen"
        f" {about.kassenzeichen}) wurde 36 Monate lang nicht genutzt und ist daher nach den"
        " SEPA-Regeln erloschen. Wenn wir wieder abbuchen sollen, erteilen Sie bitte ein neues"
        " Mandat.\n",
    )
