"""The collection schedule over any sequence of sign, re-sign, revoke, pre-notify, export and
return: no due date is ever collected twice, and what goes to the bank was announced in time
and falls on a TARGET2 business day.

Runs the portal's own flow and treasury functions in this process, on a SQLite database per
example, with the clock (`clock.Clock`) moved by the sequence itself.
"""

from __future__ import annotations

import datetime as dt
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import clock
from portal import business_days, context, exports, mandate_flow, treasury
from portal.settings import Settings
from portal.storage import db, invoices
from portal.storage.tables import collections, mandates, outbox
from portal.storage.tables import invoices as invoice_table

START = dt.datetime(2027, 1, 4, 8, 0, tzinfo=dt.timezone.utc)
KASSENZEICHEN = ["410020270001", "410020270002"]
AMOUNT = 2500
ROOT = Path(__file__).resolve().parents[2]


class UnsealedPdf:
    """Stands in for the PAdES seal (pyHanko), which took most of each example's time; the
    schedule does not depend on the seal, which tests/portal/test_portal_mandates.py checks."""

    def seal(self, pdf: bytes) -> bytes:
        return pdf


def _portal(folder: Path, var_dir: Path) -> context.Portal:
    settings = Settings(
        api_token="t",
        db_url=f"sqlite:///{folder / 'p.db'}",
        var_dir=var_dir,
        data_dir=ROOT / "data",
        creditor_name="Stadt Test",
    )
    portal = context.build(settings, clock.Clock(fixed=START))
    portal.sealer = UnsealedPdf()  # type: ignore[assignment]
    return portal


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated database and the portal's keys, made once: the property test builds a portal
    per example, and migrating and generating the seal's key each time took most of its time."""
    folder = tmp_path_factory.mktemp("schedule-template")
    portal = _portal(folder, folder / "var")
    db.migrate(portal.engine)
    portal.engine.dispose()
    return folder


@contextmanager
def portal_at(folder: Path, template: Path | None = None) -> Iterator[context.Portal]:
    """A portal with two open invoices on its own SQLite database in `folder`: a copy of
    `template`'s (keys shared with it), or a newly migrated one."""
    if template is not None:
        shutil.copyfile(template / "p.db", folder / "p.db")
        portal = _portal(folder, template / "var")
    else:
        portal = _portal(folder, folder / "var")
        db.migrate(portal.engine)
    quarter = [START.date() + dt.timedelta(days=d) for d in (10, 40, 100, 190)]
    rows = [
        {
            "kassenzeichen": number,
            "amount_cents": AMOUNT,
            "currency": "EUR",
            "purpose": "Test",
            "due_date": quarter[0],
            "further_due_dates": ",".join(d.isoformat() for d in quarter[1:]),
            "payer_name": "P",
            "payment_state": "open",
        }
        for number in KASSENZEICHEN
    ]
    invoices.seed(portal.engine, rows)
    try:
        yield portal
    finally:
        portal.engine.dispose()


def sign(portal: context.Portal, number: str) -> None:
    draft = mandate_flow.Draft(
        key=uuid.uuid4().hex,
        request_hash="h",
        kassenzeichen=number,
        amount_cents=AMOUNT,
        account_holder="Erika Mustermann",
        iban="DE89370400440532013000",
        iban_masked="DE89 **** **** **** **30 00",
        email="erika@example.org",
        channel="test",
        consent=portal.consents["sepa-mandate-2026-1"],
        bic=None,
        debtor_address=None,
    )
    created = mandate_flow.create(portal, draft)
    assert created.code is not None
    mandate_flow.sign(portal, created.response["id"], created.code)


def revoke(portal: context.Portal, number: str) -> None:
    with portal.engine.begin() as conn:
        active = invoices.active_mandate_id(conn, number)
    if active is not None:
        mandate_flow.revoke(portal, active)


def export_coming(portal: context.Portal) -> None:
    """What the scheduled job does: export each business day of the coming three weeks."""
    day = portal.today() + dt.timedelta(days=1)
    for _ in range(21):
        if business_days.is_business_day(day):
            exports.create_batch(portal, day)
        day += dt.timedelta(days=1)


def give_back(portal: context.Portal, pick: int, reason: str) -> None:
    with portal.engine.begin() as conn:
        sent = (
            conn.execute(
                sa.select(collections.c.end_to_end_id)
                .where(collections.c.status == "exported")
                .order_by(collections.c.id)
            )
            .scalars()
            .all()
        )
    if not sent:
        return
    e2e = sent[pick % len(sent)]
    xml = (
        '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.10"><CstmrPmtStsRpt>'
        f"<OrgnlPmtInfAndSts><TxInfAndSts><OrgnlEndToEndId>{e2e}</OrgnlEndToEndId>"
        f"<TxSts>RJCT</TxSts><StsRsnInf><Rsn><Cd>{reason}</Cd></Rsn></StsRsnInf>"
        "</TxInfAndSts></OrgnlPmtInfAndSts></CstmrPmtStsRpt></Document>"
    )
    treasury.run(portal, treasury.import_returns(xml.encode()))


def check(portal: context.Portal) -> None:
    notice = dt.timedelta(days=portal.settings.prenotification_days)
    with portal.engine.begin() as conn:
        rows = conn.execute(
            sa.select(collections, invoice_table.c.amount_cents.label("due_cents")).join(
                invoice_table, invoice_table.c.id == collections.c.invoice_id
            )
        ).all()
    collected: dict[tuple[int, dt.date], int] = {}
    for row in rows:
        if row.status == "exported":
            key = (row.invoice_id, row.due_date)
            collected[key] = collected.get(key, 0) + row.amount_cents
            assert collected[key] <= row.due_cents, f"due date {key} collected twice"
            assert business_days.is_business_day(row.collection_date)
            assert row.prenotified_at is not None
            assert row.prenotified_at.date() <= row.collection_date - notice
            assert row.exported_at.date() < row.collection_date
        live = [
            r
            for r in rows
            if (r.invoice_id, r.due_date) == (row.invoice_id, row.due_date)
            and r.status != "cancelled"
        ]
        assert len(live) <= 1


ACTIONS = st.one_of(
    st.tuples(st.just("sign"), st.sampled_from(KASSENZEICHEN)),
    st.tuples(st.just("revoke"), st.sampled_from(KASSENZEICHEN)),
    st.tuples(st.just("advance"), st.integers(min_value=1, max_value=45)),
    st.tuples(st.just("notify"), st.none()),
    st.tuples(st.just("export"), st.none()),
    st.tuples(
        st.just("return"), st.tuples(st.integers(0, 9), st.sampled_from(["AM04", "AC04", "MD06"]))
    ),
)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(ACTIONS, min_size=3, max_size=14))
def test_no_due_date_is_collected_twice(
    steps: list[tuple[str, Any]], tmp_path_factory: pytest.TempPathFactory, template: Path
) -> None:
    with portal_at(tmp_path_factory.mktemp("schedule"), template) as portal:
        moment = START
        for action, argument in steps:
            if action == "sign":
                sign(portal, argument)
            elif action == "revoke":
                revoke(portal, argument)
            elif action == "advance":
                moment += dt.timedelta(days=argument)
                portal.clock = clock.Clock(fixed=moment)
            elif action == "notify":
                treasury.run(portal, treasury.pre_notify)
            elif action == "export":
                export_coming(portal)
            else:
                give_back(portal, *argument)
            check(portal)


def test_a_new_mandate_takes_over_only_what_is_left(tmp_path: Path) -> None:
    """Exported instalments stay with the old mandate; the rest move to the new one."""
    with portal_at(tmp_path) as portal:
        sign(portal, KASSENZEICHEN[0])
        export_coming(portal)  # the first instalment (collected 14 days on) goes to the bank
        sign(portal, KASSENZEICHEN[0])
        with portal.engine.begin() as conn:
            rows = conn.execute(sa.select(collections).order_by(collections.c.id)).all()
        by_status: dict[str, list[dt.date]] = {}
        for row in rows:
            by_status.setdefault(row.status, []).append(row.due_date)
        assert len(by_status["exported"]) == 1
        assert len(by_status["cancelled"]) == 3
        assert sorted(by_status["notified"] + by_status.get("planned", [])) == sorted(
            by_status["cancelled"]
        )
        assert not set(by_status["exported"]) & set(by_status["cancelled"])


def test_a_mandate_with_nothing_left_to_collect_announces_no_debit(tmp_path: Path) -> None:
    with portal_at(tmp_path) as portal:
        with portal.engine.begin() as conn:
            conn.execute(
                invoice_table.insert().values(
                    kassenzeichen="410020270003",
                    amount_cents=AMOUNT,
                    currency="EUR",
                    purpose="Einmalig",
                    due_date=START.date() + dt.timedelta(days=10),
                    further_due_dates="",
                    payer_name="P",
                    payment_state="open",
                    mandate_sequence=0,
                )
            )
        sign(portal, "410020270003")
        export_coming(portal)  # the only due date goes to the bank
        sign(portal, "410020270003")
        with portal.engine.begin() as conn:
            active = invoices.active_mandate_id(conn, "410020270003")
            first = conn.execute(
                sa.select(mandates.c.first_collection_date).where(mandates.c.id == active)
            ).scalar_one()
            confirmation = conn.execute(
                sa.select(outbox.c.body).where(
                    outbox.c.mandate_id == active, outbox.c.kind == "confirmation"
                )
            ).scalar_one()
        assert first is None
        assert "Derzeit ist keine Lastschrift offen" in confirmation
