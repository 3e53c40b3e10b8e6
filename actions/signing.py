"""Signing with the citizen's user account (BundID / Servicekonto, online ID card) from the chat.

The portal is the SAML service provider: it makes a short-lived, single-use login page for one
subject (a mandate to sign or revoke, a certificate to order) and this conversation, and when the
login is over (success, failure, cancel) it tells the conversation through Rasa's
``trigger_intent`` (intent ``signing_finished``, entity ``signing_session_id``) in the channel
the citizen wrote from. The forms then read the session's outcome from the portal: the chat
never takes a login's result from a message, only from the portal's state. The same check runs
on any message while a login is pending ("fertig"), so a lost trigger never leaves the citizen
waiting.

Slots: ``signing_session_id`` (the pending login, kept in the same encoding as ``mandate_id`` so
the tracker store's IBAN masking never takes it for an IBAN), ``signing_methods`` (what the
city's policy allows for a mandate: ``bundid``, ``email_code``), ``signing_level`` (the level a
completed login reached, for the confirmation).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, Literal
from zoneinfo import ZoneInfo

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.forms import Field, Form, Turn
from actions.language import current_language
from actions.portal_client import PortalError, SigningSession, get_portal_client

log = logging.getLogger(__name__)

SESSION_SLOT = "signing_session_id"
METHODS_SLOT = "signing_methods"
LEVEL_SLOT = "signing_level"
SIGNING_SLOTS = (SESSION_SLOT, METHODS_SLOT, LEVEL_SLOT)
FINISHED_INTENT = "signing_finished"  # triggered by the portal; also "fertig" typed by a citizen
CHOOSE_INTENT = "sign_with_bundid"  # the citizen chooses the login (button or typed)
SIGNING_INTENTS = frozenset({FINISHED_INTENT, CHOOSE_INTENT})
BUNDID = "bundid"
EMAIL_CODE = "email_code"
TIMEZONE = ZoneInfo("Europe/Berlin")

LEVEL_NAMES = {
    "de": {"high": "hoch", "substantial": "substanziell", "low": "niedrig"},
    "en": {"high": "high", "substantial": "substantial", "low": "low"},
}
# What the citizen logged in with, by the level reached (BundID's levels: the online ID card is
# "high", an ELSTER certificate "substantial").
METHOD_NAMES = {
    "de": {"high": "Ihrem Online-Ausweis", "substantial": "Ihrem BundID-Konto"},
    "en": {"high": "your online ID card", "substantial": "your BundID account"},
}
# A login's failure -> the response that tells the citizen what happened and what to do.
FAILURE_RESPONSES = {
    "cancelled": "utter_signing_cancelled",
    "level_too_low": "utter_signing_level_too_low",
    "expired": "utter_signing_expired",
    "name_mismatch": "utter_signing_name_mismatch",
}
FAILURE_FALLBACK = "utter_signing_failed"
# Who may do it depends on what is done: the account holder signs, the signer or the account
# holder revokes, the portal decides who may order a certificate.
NAME_MISMATCH_RESPONSES = {
    "sign_mandate": "utter_signing_name_mismatch",
    "revoke_mandate": "utter_revoke_not_entitled",
    "order_certificate": "utter_certificate_not_entitled",
}
OUTCOME_RESPONSES = frozenset(
    {
        *FAILURE_RESPONSES.values(),
        *NAME_MISMATCH_RESPONSES.values(),
        FAILURE_FALLBACK,
        "utter_signing_link",
        "utter_login_link_revoke",
        "utter_login_link_certificate",
    }
)


def encode(session_id: str) -> str:
    """The slot's form of an id: a digit, then its bytes in hex (never IBAN-shaped).

    >>> decode(encode("ab12cd34"))
    'ab12cd34'
    """
    return "0" + session_id.encode("utf-8").hex()


def decode(value: Any) -> str | None:
    if not value:
        return None
    try:
        return bytes.fromhex(str(value)[1:]).decode("utf-8")
    except ValueError:
        return None


def level_name(level: str | None, language: str) -> str:
    """
    >>> level_name("high", "de"), level_name("substantial", "en"), level_name(None, "de")
    ('hoch', 'substantial', 'hoch')
    """
    names = LEVEL_NAMES["en" if language == "en" else "de"]
    return names.get(level or "high", level or "")


def method_name(level: str | None, language: str) -> str:
    names = METHOD_NAMES["en" if language == "en" else "de"]
    return names.get(level or "high", names["high"])


def clock_time(moment: datetime | None) -> str:
    """The link's end as the citizen's wall clock shows it.

    >>> from datetime import timezone
    >>> clock_time(datetime(2026, 12, 1, 9, 15, tzinfo=timezone.utc))
    '10:15'
    >>> clock_time(None)
    ''
    """
    if moment is None:
        return ""
    if moment.tzinfo is None:
        return moment.strftime("%H:%M")
    return moment.astimezone(TIMEZONE).strftime("%H:%M")


def pending(tracker: Tracker) -> str | None:
    """The login this conversation waits for, if any."""
    return decode(tracker.get_slot(SESSION_SLOT))


def methods(tracker: Tracker) -> tuple[str, ...]:
    value = tracker.get_slot(METHODS_SLOT)
    return tuple(str(m) for m in value) if isinstance(value, list | tuple) else (EMAIL_CODE,)


def started_this_turn(tracker: Tracker) -> bool:
    """Whether a new login link went out since the citizen's last message (then the form's
    question would only repeat it): the session slot changed to a new value in this turn."""
    now: Any = None
    seen_user = False
    for event in reversed(tracker.events):
        kind = event.get("event")
        if kind == "user":
            if now is None:
                return False
            seen_user = True
        elif kind == "slot" and event.get("name") == SESSION_SLOT:
            if not seen_user and now is None:
                now = event.get("value")
            elif seen_user:
                return bool(now) and now != event.get("value")
    return bool(now)


async def start(
    purpose: str,
    subject_id: str,
    response: str,
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
) -> dict[str, Any] | None:
    """Make a login link at the portal and send it as a URL button; the slot values to set, or
    None when the portal could not make one (the citizen was told)."""
    language = current_language(tracker)
    try:
        session = await get_portal_client().create_signing_session(
            purpose,
            subject_id,
            conversation_id=tracker.sender_id,
            output_channel=str(tracker.get_latest_input_channel() or "rest"),
            language=language,
        )
    except PortalError as error:
        log.warning(
            "signing session not created: %s (status %s)", type(error).__name__, error.status
        )
        dispatcher.utter_message(response="utter_signing_unavailable")
        return None
    if not session.url:
        log.warning("signing session %s came without a URL", session.id)
        dispatcher.utter_message(response="utter_signing_unavailable")
        return None
    dispatcher.utter_message(
        response=response,
        signing_url=session.url,
        expires=clock_time(session.expires_at),
        level=level_name(session.required_level, language),
    )
    return {SESSION_SLOT: encode(session.id), LEVEL_SLOT: None}


Verdict = Literal["completed", "failed", "pending", "unknown"]


@dataclass(frozen=True)
class Outcome:
    verdict: Verdict
    session: SigningSession | None = None

    @property
    def failure(self) -> str:
        if self.session is None:
            return ""
        if self.session.status == "expired":
            return "expired"
        return self.session.failure or ""


async def outcome(purpose: str, subject_id: str, tracker: Tracker) -> Outcome:
    """The portal's word on the login this conversation waits for.

    The entity of ``signing_finished`` names which login ended; a login for another subject or
    purpose than the one waited for is ignored ("unknown"), whoever names it.
    """
    named = next(tracker.get_latest_entity_values(SESSION_SLOT), None)
    session_id = str(named) if named else pending(tracker)
    if not session_id:
        return Outcome("unknown")
    try:
        session = await get_portal_client().get_signing_session(session_id)
    except PortalError as error:
        log.warning("signing session not read: %s (status %s)", type(error).__name__, error.status)
        return Outcome("unknown")
    if session.purpose not in (None, purpose) or session.subject_id not in (None, subject_id):
        log.warning("signing session %s is not for this conversation's subject", session.id)
        return Outcome("unknown")
    if session.status == "completed":
        return Outcome("completed", session)
    if session.status in ("failed", "expired"):
        return Outcome("failed", session)
    return Outcome("pending", session)


def tell_failure(
    result: Outcome, dispatcher: CollectingDispatcher, tracker: Tracker, purpose: str
) -> str:
    """Say what went wrong (nothing was signed or changed); returns the failure's name."""
    failure = result.failure
    language = current_language(tracker)
    session = result.session
    response = FAILURE_RESPONSES.get(failure, FAILURE_FALLBACK)
    if failure == "name_mismatch":
        response = NAME_MISMATCH_RESPONSES.get(purpose, response)
    dispatcher.utter_message(
        response=response,
        level=level_name(session.required_level if session else None, language),
        account_holder=tracker.get_slot("account_holder") or "",
    )
    return failure


# ---------------------------------------------------------------- a login step in a form

LOGIN_SLOT = "online_id_login"  # "done" once the login went through and its action happened


async def by_the_portal_only(value: Any, turn: Turn) -> Any:
    """The login step's slot is never read from a message: only the portal's word fills it."""
    return None


class LoginForm(Form):
    """A form whose last step is a login at the city's level (revoking a mandate, ordering a
    certificate): the yes to ``login_after`` sends the link, the form then waits in the slot
    ``online_id_login`` until the portal says how the login ended. Put it first among the
    bases (``class F(LoginForm, InvoiceForm)``) and add ``LOGIN_FIELD`` after the yes."""

    login_purpose: ClassVar[str] = ""
    login_after: ClassVar[str] = ""  # the yes/no slot whose yes starts the login
    login_link: ClassVar[str] = "utter_login_link"

    def login_subject(self, turn: Turn) -> str | None:
        """What the login is for (a mandate id, a certificate), as the portal knows it."""
        raise NotImplementedError

    async def login_completed(self, session: SigningSession, turn: Turn) -> dict[str, Any]:
        """The login went through: do what it was for; slot values."""
        return {LOGIN_SLOT: "done"}

    def login_name_mismatch(self, turn: Turn) -> dict[str, Any]:
        """The person who logged in may not do this: said already; slot values."""
        return {SESSION_SLOT: None}

    def login_unavailable(self, turn: Turn) -> dict[str, Any]:
        """No link could be made (said already): the yes is asked again."""
        return {self.login_after: None}

    def waiting(self, turn: Turn) -> bool:
        return pending(turn.tracker) is not None

    def required(self, turn: Turn) -> list[str]:
        slots = super().required(turn)
        if turn.slot(self.login_after) is not True:  # no yes (yet): no login to wait for
            return [slot for slot in slots if slot != LOGIN_SLOT]
        return slots

    async def after(self, turn: Turn) -> dict[str, Any]:
        found = await super().after(turn)
        turn.tracker.slots.update(found)
        step = await self._login(turn)
        turn.tracker.slots.update(step)
        return {**found, **step}

    async def _login(self, turn: Turn) -> dict[str, Any]:
        if turn.activating or turn.slot(self.login_after) is not True or turn.slot(LOGIN_SLOT):
            return {}
        subject = self.login_subject(turn)
        if subject is None:
            return {}
        if turn.before.get(self.login_after) is not True or turn.intent == CHOOSE_INTENT:
            # The yes came with this message, or the citizen asks for a new link.
            link = await start(
                self.login_purpose, subject, self.login_link, turn.dispatcher, turn.tracker
            )
            return self.login_unavailable(turn) if link is None else link
        if not pending(turn.tracker) and turn.intent != FINISHED_INTENT:
            return {}
        result = await outcome(self.login_purpose, subject, turn.tracker)
        if result.verdict == "failed":
            failure = tell_failure(result, turn.dispatcher, turn.tracker, self.login_purpose)
            if failure == "name_mismatch":
                return {SESSION_SLOT: None, **self.login_name_mismatch(turn)}
            return {SESSION_SLOT: None}
        if result.verdict == "completed" and result.session is not None:
            return await self.login_completed(result.session, turn)
        return {SESSION_SLOT: turn.slot(SESSION_SLOT)}  # still open: the form waits and says so


LOGIN_FIELD = Field(LOGIN_SLOT, by_the_portal_only, free_text=False)


class ActionAskOnlineIdLogin(Action):
    """The question of the login step: waiting for the login, or (after a failed one) a button
    for a new link."""

    def name(self) -> str:
        return "action_ask_online_id_login"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        if started_this_turn(tracker):
            return []
        dispatcher.utter_message(
            response="utter_login_waiting" if pending(tracker) else "utter_ask_login_again"
        )
        return []


class ActionSigningFinished(Action):
    """``signing_finished`` (or ``sign_with_bundid``) where no form waits for a login: the
    citizen stopped meanwhile, or wrote "fertig" with nothing open. The portal's state is told
    as it is: a mandate the login signed is signed; anything else did nothing."""

    def name(self) -> str:
        return "action_signing_finished"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        named = next(tracker.get_latest_entity_values(SESSION_SLOT), None)
        session_id = str(named) if named else pending(tracker)
        if (
            not session_id
            or tracker.latest_message.get("intent", {}).get("name") != FINISHED_INTENT
        ):
            dispatcher.utter_message(response="utter_login_nothing_open")
            return []
        try:
            session = await get_portal_client().get_signing_session(session_id)
            signed = (
                await get_portal_client().get_mandate(session.subject_id)
                if session.status == "completed"
                and session.purpose == "sign_mandate"
                and session.subject_id
                else None
            )
        except PortalError as error:
            log.warning(
                "signing session not read: %s (status %s)", type(error).__name__, error.status
            )
            dispatcher.utter_message(response="utter_login_nothing_open")
            return []
        if session.status == "pending":
            dispatcher.utter_message(response="utter_login_nothing_open")
        elif signed is not None and signed.status == "active" and signed.mandate_reference:
            dispatcher.utter_message(
                response="utter_login_finished_signed", mandate_reference=signed.mandate_reference
            )
        else:
            dispatcher.utter_message(response="utter_login_finished_nothing_done")
        return []
