"""Texts around a mandate: the sealed PDF's content, the code mail, the confirmation mail."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from sqlalchemy.engine import Row

from portal import pdf as pdf_render
from portal.consent import ConsentText
from portal.storage.invoices import Invoice
from rules import kassenzeichen as kz

if TYPE_CHECKING:
    from portal.context import Portal


def euro_de(cents: int) -> str:
    """
    >>> euro_de(123456)
    '1.234,56 €'
    """
    whole = f"{cents // 100:,}".replace(",", ".")
    return f"{whole},{cents % 100:02d} €"


def date_de(value: dt.date) -> str:
    return value.strftime("%d.%m.%Y")


def pdf(
    portal: Portal,
    row: Row,
    invoice: Invoice,
    reference: str,
    first: dt.date | None,
    evidence: dict[str, Any],
    consent: ConsentText,
) -> bytes:
    settings = portal.settings
    debtor = [f"Kontoinhaber/in: {row.account_holder}", f"IBAN: {row.iban_masked}"]
    if row.bic:
        debtor.append(f"BIC: {row.bic}")
    paragraphs = [
        f"Zahlungsempfänger: {settings.creditor_name}\n"
        f"Gläubiger-Identifikationsnummer: {settings.creditor_id}\n"
        f"Mandatsreferenz: {reference}\n"
        "Art der Lastschrift: wiederkehrende Zahlung (SEPA-Basislastschrift)",
        "\n".join(debtor),
        f"Kassenzeichen: {kz.format(invoice.kassenzeichen)}\n"
        f"Zweck: {invoice.purpose}\n"
        f"Betrag je Fälligkeit: {euro_de(invoice.amount_cents)}\n"
        f"Erste Lastschrift am: {date_de(first)}"
        if first
        else "Derzeit ist keine Lastschrift offen.",
        consent.render(settings.creditor_name, settings.creditor_id),
        _how_signed(row, evidence)
        + f"Textfassung: {row.consent_text_version}, SHA-256: {row.consent_sha256}\n"
        "Dieses Dokument ist mit dem elektronischen Siegel der Stadt versehen.",
    ]
    return pdf_render.render_pdf("SEPA-Lastschriftmandat", paragraphs)


_LEVEL_DE = {"substantial": "substanziell", "high": "hoch"}


def _how_signed(row: Row, evidence: dict[str, Any]) -> str:
    login = evidence.get("signature")
    if login:
        level = str(login.get("level_of_assurance"))
        return (
            f"Elektronisch unterzeichnet am {evidence['signed_at']} (UTC) über den Kanal "
            f"{row.channel} durch Anmeldung mit BundID / Servicekonto als "
            f"{login.get('signer_name')}, Vertrauensniveau {_LEVEL_DE.get(level, level)} "
            f"({login.get('authn_context_class_ref')}).\n"
            f"Identitätsanbieter: {login.get('idp_entity_id')}; Assertion "
            f"{login.get('assertion_id')} vom {login.get('assertion_issue_instant')}.\n"
        )
    return (
        f"Elektronisch unterzeichnet am {evidence['signed_at']} (UTC) über den Kanal "
        f"{row.channel} durch Eingabe eines Einmalcodes, der an die E-Mail-Adresse der "
        f"Kontoinhaberin/des Kontoinhabers gesendet wurde.\n"
    )


def code_mail(kassenzeichen: str, code: str, minutes: int) -> tuple[str, str]:
    subject = "Ihr Bestätigungscode für das SEPA-Lastschriftmandat"
    body = (
        f"Guten Tag,\n\nIhr Bestätigungscode für das SEPA-Lastschriftmandat zum Kassenzeichen "
        f"{kz.format(kassenzeichen)} lautet:\n\n    {code}\n\n"
        f"Er gilt {minutes} Minuten. Geben Sie ihn nur im Chat mit der Stadt ein.\n"
        "Wenn Sie kein Mandat erteilen wollten, ignorieren Sie diese E-Mail.\n\n"
        "---\n"
        f"Your confirmation code for the SEPA direct debit mandate is {code}. "
        f"It is valid for {minutes} minutes.\n"
    )
    return subject, body


def confirmation_mail(portal: Portal, row: Row, invoice: Invoice) -> tuple[str, str]:
    settings = portal.settings
    first = row.first_collection_date
    notice = settings.prenotification_days
    subject = f"Bestätigung Ihres SEPA-Lastschriftmandats {row.mandate_reference}"
    body = (
        "Guten Tag,\n\nvielen Dank: Ihr SEPA-Lastschriftmandat ist erteilt. Das gesiegelte "
        "Mandat liegt dieser E-Mail als PDF bei.\n\n"
        f"Zahlungsempfänger: {settings.creditor_name}\n"
        f"Gläubiger-Identifikationsnummer: {settings.creditor_id}\n"
        f"Mandatsreferenz: {row.mandate_reference}\n"
        f"Konto: {row.iban_masked}\n"
        f"Kassenzeichen: {kz.format(invoice.kassenzeichen)} ({invoice.purpose})\n\n"
        f"{_first_de(invoice.amount_cents, first)} Jede weitere Lastschrift kündigen wir "
        f"Ihnen spätestens {notice} Tage vor dem Fälligkeitstag an.\n\n"
        "Sie können innerhalb von acht Wochen, beginnend mit dem Belastungsdatum, die Erstattung "
        "des belasteten Betrages verlangen. Das Mandat können Sie jederzeit widerrufen.\n\n"
        "---\n"
        f"Your SEPA direct debit mandate is in place. Creditor ID {settings.creditor_id}, "
        f"mandate reference {row.mandate_reference}. "
        f"{_first_en(invoice.amount_cents, first)}; every further "
        f"collection is announced at least {notice} days before its due date.\n"
    )
    return subject, body


def _first_de(cents: int, first: dt.date | None) -> str:
    if first is None:
        return (
            "Derzeit ist keine Lastschrift offen: Alle Fälligkeiten dieser Rechnung sind bereits"
            " eingezogen oder bei der Bank eingereicht."
        )
    return (
        f"Vorabankündigung: Wir ziehen {euro_de(cents)} am {date_de(first)} von Ihrem Konto ein"
        " (erste Lastschrift)."
    )


def _first_en(cents: int, first: dt.date | None) -> str:
    if first is None:
        return "Nothing is due for collection now"
    return f"We will collect {cents / 100:.2f} EUR on {first.isoformat()}"
