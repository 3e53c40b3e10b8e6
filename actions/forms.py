"""One way to write a form: a validation action whose slots are declared, one ``Field`` each.

A ``Field`` says where its value is read (an entity, a finder over any message, the whole message
when the slot was asked, or a yes/no answer), which check validates it (a ``rules`` function or
a small function raising ``InputError``), and so which message tells what was wrong
(``utter_invalid_<slot>_<code>`` if the domain has it, else ``utter_invalid_<slot>``). A form is
a subclass of ``Form`` naming its ``form`` and its ``fields``; policies (which intents are never
read, how a failure is told) are class attributes or small methods.

Per user message, in the order of rasa-sdk's ``FormValidationAction`` (extract, validate, name
the next slot), the form

1. at activation forgets what an earlier run left (its slots and ``state_slots``);
2. clears a slot the citizen says was wrong ("die IBAN war falsch", words in data/keywords);
3. reads the candidates of the slots still required, then checks them in order;
4. names the next empty required slot in ``requested_slot`` (None ends the form).

A message that sets nothing is no answer: the action returns no event, Rasa rejects the form for
that turn and the intent's own rule responds (help, cancel, another language).

Never stuck: from the second message on one question without progress the form says what it
understood, what is still missing and how to stop or reach a person (``utter_form_summary``);
at the ``MAX_REPEATS``-th it offers the city's phone and ends (``utter_form_stuck``, ``stop``).
"Can we go on in English?" inside a form switches the language and asks the pending question
again in it.

A check may also raise ``Unconfirmed(value)``: the value is read back ("Xyz-Straße 5, 35039
Marburg — stimmt das?", response ``utter_ask_readback_confirm``); yes takes it, no asks again.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import REQUESTED_SLOT, FormValidationAction
from rasa_sdk.types import DomainDict

from actions import form_help, keywords
from actions.city import load_city
from actions.contact import contact_details
from actions.language import current_language, requested_language
from actions.services.text import fold
from rules.errors import InputError

TIMEZONE = ZoneInfo("Europe/Berlin")
READBACK_VALUE = "readback_value"  # a value waiting for the citizen's yes
READBACK_CONFIRM = "readback_confirm"  # asked while one waits
# Messages on one question without progress: from the second the form explains where it stands
# (unless a message in ``Form.no_summary_after`` said enough), at the fifth it offers a person
# and ends, so no conversation can loop forever.
REPEATS_BEFORE_SUMMARY = 2
MAX_REPEATS = 5


class Update(dict[str, Any]):
    """A check's result that sets several slots (not only its own)."""


class Unconfirmed(Exception):
    """Raised by a check for a plausible value it cannot verify: read it back, take it on yes."""

    def __init__(self, value: str) -> None:
        super().__init__(value)
        self.value = value


@dataclass
class Turn:
    """One user message as the checks see it."""

    tracker: Tracker
    dispatcher: CollectingDispatcher
    domain: DomainDict
    language: str
    today: date
    activating: bool
    before: dict[str, Any]  # the slots before this message
    corrected: bool = False  # the message named a wrong value: it is no answer besides
    stopped: bool = False  # the form ends now without asking more (see Form.stop)

    @property
    def text(self) -> str:
        return str(self.tracker.latest_message.get("text") or "").strip()

    @property
    def intent(self) -> str:
        return str((self.tracker.latest_message.get("intent") or {}).get("name") or "")

    @property
    def requested(self) -> str | None:
        value = self.tracker.get_slot(REQUESTED_SLOT)
        return None if value is None else str(value)

    def slot(self, name: str) -> Any:
        return self.tracker.get_slot(name)

    def entity(self, name: str) -> str | None:
        value = next(self.tracker.get_latest_entity_values(name), None)
        return None if value is None else str(value)

    def say(self, response: str, **values: Any) -> None:
        self.dispatcher.utter_message(response=response, **values)


Check = Callable[[Any, Turn], Awaitable[Any]]
Find = Callable[[str], str | None]
Text = Callable[[str, Turn], str | None]


@dataclass(frozen=True)
class Field:
    """One slot of a form: where its value is read and which check validates it."""

    slot: str
    check: Check
    entity: str | None = None  # an NLU entity that carries the value
    find: Find | None = None  # finds the value anywhere in a message ("DE89 3704 …")
    text: Text | None = field(default=None)  # the whole message as the value, when asked
    free_text: bool = True  # the whole message is read when the slot was asked
    anytime: bool = False  # entity and finder are read in every message, not only when asked
    confirm: bool = False  # a yes/no question: the check gets "affirm" or "deny"


def today() -> date:
    return datetime.now(TIMEZONE).date()


def fail_response(slot: str, code: str, domain: DomainDict) -> str:
    specific = f"utter_invalid_{slot}_{code}"
    return specific if specific in (domain.get("responses") or {}) else f"utter_invalid_{slot}"


class Form(FormValidationAction):
    """The validation action of one form; subclasses set ``form`` and ``fields``."""

    form: ClassVar[str] = ""
    fields: ClassVar[tuple[Field, ...]] = ()
    state_slots: ClassVar[tuple[str, ...]] = ()  # forgotten at activation, too
    ignored_intents: ClassVar[frozenset[str]] = frozenset({"cancel"})
    free_text_intents: ClassVar[frozenset[str] | None] = None  # None: any intent not ignored
    correction_words: ClassVar[str] = "correction"  # the keyword table naming a wrong value
    correction_response: ClassVar[str | None] = None
    no_summary_after: ClassVar[frozenset[str]] = frozenset()  # messages that say enough

    def name(self) -> str:
        return f"validate_{self.form}"

    def today(self) -> date:
        return today()

    # Policies a form may change -------------------------------------------------------

    def required(self, turn: Turn) -> list[str]:
        """The slots to fill, in order; a subclass may add or skip some."""
        return [item.slot for item in self.fields]

    def dependents(self, slot: str) -> tuple[str, ...]:
        """Slots cleared with ``slot`` when the citizen says it was wrong."""
        return ()

    def answer(self, turn: Turn) -> str | None:
        """The answer ("affirm" or "deny") when the message answers a yes/no question."""
        return turn.intent if turn.intent in ("affirm", "deny") else None

    def free_text(self, turn: Turn, item: Field) -> str | None:
        """The whole message, when it may be read as the value of the asked slot."""
        if not item.free_text or turn.corrected:
            return None
        if self.free_text_intents is not None and turn.intent not in self.free_text_intents:
            return None
        text = turn.text
        if item.text is not None and text:
            return item.text(text, turn)
        return text  # an empty message too: a shared location comes without text

    async def refused(self, item: Field, error: InputError, turn: Turn) -> dict[str, Any]:
        """Say what was wrong with a value; the slot is asked again."""
        turn.say(fail_response(item.slot, error.code, turn.domain))
        return {item.slot: None}

    async def accepted(self, item: Field, values: dict[str, Any], turn: Turn) -> dict[str, Any]:
        return values

    async def after(self, turn: Turn) -> dict[str, Any]:
        """What the form does once the message's values are in (a lookup, a reset)."""
        return {}

    def waiting(self, turn: Turn) -> bool:
        """Whether the form waits for something outside the chat (a login at the portal): then
        a message without progress gets no summary, only the cap still ends the form."""
        return False

    def stop(self, turn: Turn) -> dict[str, Any]:
        """Slot values that end the form after too many messages without progress."""
        turn.stopped = True
        return {}

    # rasa-sdk's FormValidationAction ---------------------------------------------------

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        return self._required(self._turn(dispatcher, tracker, domain))

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        turn = self._turn(dispatcher, tracker, domain)
        if not turn.activating and turn.intent == "change_language":
            # The form goes on: the pending question is asked again in the new language.
            language = requested_language(turn.text, turn.language)
            pending = turn.requested or self._pending(turn)
            return [SlotSet("language", language), SlotSet(REQUESTED_SLOT, pending)]
        if not turn.activating and (reply := self._help(turn)) is not None:
            # A question inside the form ("Was ist eine IBAN?"): answered, then asked again.
            dispatcher.utter_message(text=reply)
            return [SlotSet(REQUESTED_SLOT, turn.requested or self._pending(turn))]
        changed: dict[str, Any] = {}

        def apply(values: dict[str, Any]) -> None:
            tracker.slots.update(values)
            changed.update(values)

        if turn.activating:
            names = [item.slot for item in self.fields] + [*self.state_slots, READBACK_VALUE]
            apply({name: None for name in names if tracker.get_slot(name) is not None})
        elif turn.intent != "cancel":  # "abbrechen" ends the form, it corrects nothing
            apply(self._correction(turn))
        if turn.intent not in self.ignored_intents:
            apply(await self._readback(turn))
            for item, value in self._candidates(turn):
                apply(await self._checked(item, value, turn))
        apply(await self.after(turn))
        if not changed and not turn.activating:
            return []  # not an answer: the intent's own rule responds
        following = next((s for s in self._required(turn) if tracker.get_slot(s) is None), None)
        if following is not None and following == turn.requested and not turn.activating:
            apply(self._no_progress(turn))
            if turn.stopped or not self._required(turn):
                following = None
        return [*(SlotSet(k, v) for k, v in changed.items()), SlotSet(REQUESTED_SLOT, following)]

    # The steps ------------------------------------------------------------------------

    def _pending(self, turn: Turn) -> str | None:
        return next((s for s in self._required(turn) if turn.slot(s) is None), None)

    def _help(self, turn: Turn) -> str | None:
        """The answer from data/form_help.yml when the message asks a question and gives no
        value (a question that carries a value, "ist 4100.2026.0001 richtig?", is an answer)."""
        if turn.intent in self.ignored_intents - {"help"} or turn.intent == "cancel":
            return None
        entities = {item.entity for item in self.fields if item.entity}
        given = any(
            e.get("entity") in entities for e in turn.tracker.latest_message.get("entities") or []
        )
        if given or any(item.find and item.find(turn.text) for item in self.fields):
            return None
        return form_help.answer(
            self.form, turn.requested, turn.text, turn.intent, turn.language, turn.tracker.slots
        )

    def _no_progress(self, turn: Turn) -> dict[str, Any]:
        """The same question again: say where the form stands; at the cap, stop."""
        repeats = self._repeats(turn)
        contact = contact_details(load_city(), turn.language)
        if repeats >= MAX_REPEATS:
            turn.say("utter_form_stuck", **contact)
            return self.stop(turn)
        said = {str(message.get("response")) for message in turn.dispatcher.messages}
        if self.waiting(turn):
            return {}
        if repeats >= REPEATS_BEFORE_SUMMARY and not said & self.no_summary_after:
            turn.say("utter_form_summary", **self._summary(turn), **contact)
        return {}

    def _repeats(self, turn: Turn) -> int:
        """User messages since the pending question was first asked, this one included."""
        count = confirmed = 0
        for event in reversed(turn.tracker.events):
            kind = event.get("event")
            if kind == "user":
                count += 1
            elif kind == "active_loop" and event.get("name") == self.form:
                break
            elif kind == "slot" and event.get("name") == REQUESTED_SLOT:
                if event.get("value") == turn.requested:
                    confirmed = count  # the messages after this question was asked
                elif event.get("value") is not None:
                    break
        return confirmed

    def _summary(self, turn: Turn) -> dict[str, str]:
        """What the form holds and what it still needs, in the citizen's words."""
        names = keywords.labels(turn.language, "slot_labels")
        nothing = str(keywords.labels(turn.language, "form_summary").get("nothing", "-"))
        understood = [
            f"{names.get(item.slot, item.slot)}: {turn.slot(item.slot)}"
            for item in self.fields
            if not item.confirm
            and turn.slot(item.slot) not in (None, "", [])
            and item.slot in names
        ]
        missing = [
            str(names.get(slot, slot))
            for slot in self.required(turn)
            if turn.slot(slot) is None and slot in names
        ]
        return {
            "understood": "; ".join(understood) or nothing,
            "missing": ", ".join(missing) or nothing,
        }

    def _turn(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> Turn:
        activating = (tracker.active_loop or {}).get("name") != self.form
        language = current_language(tracker)
        before = dict(tracker.slots)
        return Turn(tracker, dispatcher, domain, language, self.today(), activating, before)

    def _required(self, turn: Turn) -> list[str]:
        slots = self.required(turn)
        if slots and turn.slot(READBACK_VALUE) is not None:
            waiting = next((s for s in slots if turn.slot(s) is None), None)
            if waiting is not None:
                slots.insert(slots.index(waiting), READBACK_CONFIRM)
        return slots

    def _correction(self, turn: Turn) -> dict[str, Any]:
        """A message such as "die Adresse ist falsch" clears that value and what depends on it."""
        folded = fold(turn.text)
        if not keywords.pattern(self.correction_words).search(folded):
            return {}
        names = {item.slot: item for item in self.fields}
        target = next(
            (
                names[slot]
                for slot in keywords.table("slot_words")
                if slot in names
                and (found := keywords.slot_pattern(slot)) is not None
                and found.search(folded)
            ),
            None,
        )
        if target is None or (target.slot == turn.requested and not target.confirm):
            return {}  # "die Adresse ist falsch: Markt 9" answers the question asked
        turn.corrected = True
        if self.correction_response:
            turn.say(self.correction_response)
        cleared = {target.slot: None, **dict.fromkeys(self.dependents(target.slot))}
        if turn.slot(READBACK_VALUE) is not None:
            cleared[READBACK_VALUE] = None
        return cleared

    async def _readback(self, turn: Turn) -> dict[str, Any]:
        """The answer to "… — stimmt das?": yes takes the value, no asks for it again."""
        value = turn.slot(READBACK_VALUE)
        if value is None or turn.requested != READBACK_CONFIRM or turn.corrected:
            return {}
        waiting = next((s for s in self.required(turn) if turn.slot(s) is None), None)
        answer = self.answer(turn)
        if answer == "affirm" and waiting is not None:
            return {waiting: value, READBACK_VALUE: None}
        if answer is None:  # another value typed instead: the answer to the waiting slot
            turn.tracker.slots[REQUESTED_SLOT] = waiting
        return {READBACK_VALUE: None}

    def _candidates(self, turn: Turn) -> list[tuple[Field, Any]]:
        """What the message holds for each required slot, read before any check (rasa-sdk's
        extraction step), so a check's messages follow the order of the slots."""
        required = set(self.required(turn))
        found: list[tuple[Field, Any]] = []
        for item in self.fields:
            if item.slot not in required:
                continue
            value = self._read(item, turn)
            if value is not None:
                found.append((item, value))
        return found

    def _read(self, item: Field, turn: Turn) -> Any:
        asked = turn.requested == item.slot
        if item.confirm:
            return self.answer(turn) if asked and not turn.corrected else None
        here = (asked and not turn.corrected) or item.anytime
        # The message that starts a form fills the slots its entities name ("eine
        # Geburtsurkunde bestellen"); finders read it only for slots read in any message.
        entity = turn.entity(item.entity) if item.entity and (here or turn.activating) else None
        if entity is not None:
            return entity
        if item.find and here and (value := item.find(turn.text)) is not None:
            return value
        return self.free_text(turn, item) if asked and not turn.activating else None

    async def _checked(self, item: Field, value: Any, turn: Turn) -> dict[str, Any]:
        try:
            result = await item.check(value, turn)
        except Unconfirmed as pending:
            return {item.slot: None, READBACK_VALUE: pending.value}
        except InputError as error:
            return await self.refused(item, error, turn)
        values = dict(result) if isinstance(result, Update) else {item.slot: result}
        return await self.accepted(item, values, turn)
