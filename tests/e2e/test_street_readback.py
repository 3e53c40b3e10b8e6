"""A street the demo register lacks, end to end over REST with every service running: the
address is read back, yes files the request with it, no asks for the address again."""

from __future__ import annotations

import pytest

from tests.e2e.test_services import conversation, filed
from tests.support.stack import Stack

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_an_unknown_street_is_read_back_and_filed_on_yes(stack: Stack) -> None:
    said = conversation(
        stack,
        [
            "ich will sperrmuell anmelden",
            "Lahnweg 5, 35039",
            "ja",
            "Sofa und ein Schrank",
            "<button>",
            "ja",
            "nein",
        ],
    )
    assert "Lahnweg 5, 35039 Marburg — stimmt das?" in said[1]
    assert "Was soll abgeholt werden?" in said[2], said[2]  # yes: the next question
    filed(stack, said, "bulky_waste")


def test_no_asks_for_the_address_again_and_another_town_is_refused(stack: Stack) -> None:
    said = conversation(
        stack,
        [
            "Can we speak English?",
            "I want to register my dog",
            "my name is Erika Mustermann",
            "my address is Lahnweg 5, 35039",
            "no",
            "Hauptstraße 1, 10115 Berlin",
        ],
    )
    assert "Lahnweg 5, 35039 Marburg — is that right?" in said[3]
    assert "At which address" in said[4], said[4]  # no: the question again
    assert "postcode is not in" in said[5], said[5]


def test_an_issue_at_an_unknown_street_is_filed_on_yes(stack: Stack) -> None:
    said = conversation(
        stack,
        [
            "ich möchte ein schlagloch melden",
            "pothole",
            "Lahnweg 5, 35039",
            "<button>",  # "Ja"
            "Ein tiefes Loch mitten auf der Fahrbahn",
        ],
    )
    assert "Lahnweg 5, 35039 Marburg — stimmt das?" in said[2], said[2]
    filed(stack, said, "issue_report")
