"""Custom actions: thin classes that read the tracker, call the plain modules, and answer.

The logic lives in actions/profile_state.py, actions/guide.py, actions/content/, actions/mailer.py,
actions/mail_queue.py (with actions/mail_service.py) and actions/email_address.py; every sentence
lives in domain.yml.
Action objects are shared by all conversations: they keep no state on ``self``.
"""

from __future__ import annotations

import abc
import logging
from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, EventType, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import guide as guide_store
from actions import mail_service
from actions.choices import choose
from actions.content import (
    Family,
    Item,
    Profile,
    catalog,
    next_question,
    recommend,
    unknown_facts,
    wording,
)
from actions.email_address import extract_email, spell_out, validate_email
from actions.mail_queue import FAILED, PENDING, SENDING, RateLimited
from actions.mailer import GuideEntry, MailSettings, compose_guide_email
from actions.paging import (
    CONTROL_INTENTS,
    ListState,
    is_voice,
    message,
    needs_paging,
    next_page,
    previous_page,
)
from actions.profile_state import (
    PROFILE_SLOTS,
    ProfileUpdate,
    describe,
    join_words,
    profile_slots,
    read_turn,
)
from actions.safety import classify_danger
from stores.forget import FORGET_SLOT

logger = logging.getLogger(__name__)

# The action server imports this module once at start: its mail worker starts here, so guides
# queued before a restart go out without waiting for someone to ask for another (tests that import
# this module start no thread).
mail_service.start_in_action_server()

PROFILE_QUESTIONS = ("hr", "pr", "her2", "menopause", "prior_hormone", "spread")
OFFER_PREFIX = "offer:"
PICK_OPTION = "pick_option"
# The response whose buttons a numbered answer picks from, for each kind of pending question.
BUTTON_RESPONSES = {
    "confirm_email": "utter_confirm_email",
    "confirm_clear": "utter_guide_confirm_clear",
    "confirm_forget": "utter_forget_confirm",
    "offer": "utter_offer_results_question",
}
LONG_MESSAGE = 2000
SESSION_SCOPED_SLOTS = ("pending", "more", "email_address")
# What the person hears when a rate limit refuses the email, by limit.
EMAIL_LIMIT_RESPONSES = {
    "conversation": "utter_email_limit_conversation",
    "address": "utter_email_limit_address",
}

# Which field of the content answers which question intent, and how to name it when missing.
QUESTION_FIELDS = {
    "ask_what_is": ("what_is", "utter_answer_what_is"),
    "ask_how_given": ("how_given", "utter_answer_how_given"),
    "ask_side_effects": ("side_effects", "utter_answer_side_effects"),
    "ask_who_for": ("who_for", "utter_answer_who_for"),
    "ask_how_works": ("how_it_works", "utter_answer_how_works"),
}


# ---------------------------------------------------------------------------------------------
# Shared steps


def current_slots(tracker: Tracker) -> Dict[str, Any]:
    """All slot values of the conversation."""
    return dict(tracker.current_slot_values())


def entities_of(tracker: Tracker) -> List[Dict[str, Any]]:
    """Entities of the latest user message."""
    return list(tracker.latest_message.get("entities") or [])


def latest_text(tracker: Tracker) -> str:
    """Text of the latest user message."""
    return str(tracker.latest_message.get("text") or "")


def entity_values(tracker: Tracker, name: str) -> List[str]:
    """Values of one entity type in the latest message, in order."""
    return [str(e.get("value")) for e in entities_of(tracker) if e.get("entity") == name]


def set_slots(values: Dict[str, Any]) -> List[EventType]:
    """SlotSet events for a mapping."""
    return [SlotSet(name, value) for name, value in values.items()]


def display_name(topic: Family | Item) -> str:
    """Name of a treatment with its brand names: "trastuzumab (Herceptin)"."""
    brands = getattr(topic, "brands", ())
    return f"{topic.name} ({', '.join(brands)})" if brands else topic.name


def capitalised(text: str) -> str:
    """First letter upper case, the rest untouched (keeps "HER2" and brand names)."""
    return text[:1].upper() + text[1:]


def voice_turn(tracker: Tracker) -> bool:
    """Whether the person is listening rather than reading (Alexa, the speech channel)."""
    return is_voice(tracker.get_latest_input_channel())


def say(dispatcher: CollectingDispatcher, messages: List[Dict[str, Any]]) -> None:
    """Utter list messages made by ``actions.paging.message``."""
    for item in messages:
        dispatcher.utter_message(response=item["response"], **item["params"])


def latest_request_id(tracker: Tracker) -> str | None:
    """Id of the latest message that asked for something (not "more", "repeat", "help"...)."""
    for event in reversed(tracker.events):
        if event.get("event") != "user":
            continue
        intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
        if intent not in CONTROL_INTENTS:
            return event.get("message_id")
    return None


def read_list(
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    items: List[Dict[str, Any]],
    after: List[Dict[str, Any]] | None = None,
    pending: str | None = None,
) -> List[EventType]:
    """Say a list; by voice, a page of it with "say more" (the rest waits in slot ``more``)."""
    after = after or []
    if not needs_paging(items, voice_turn(tracker)):
        say(dispatcher, items + after)
        return [SlotSet("more", None)] + ([SlotSet("pending", pending)] if pending else [])
    state = ListState(items, 0, after, pending, latest_request_id(tracker))
    say(dispatcher, state.page)
    dispatcher.utter_message(response="utter_list_more", count=state.left)
    return [SlotSet("more", state.to_slot())]


def current_list(tracker: Tracker) -> ListState | None:
    """The list being read out, if it belongs to the latest request."""
    state = ListState.from_slot(tracker.get_slot("more"))
    if state is None or state.origin != latest_request_id(tracker):
        return None
    return state


def last_answer(tracker: Tracker) -> List[Dict[str, Any]]:
    """The bot messages of the latest turn that was not "repeat", "slower" or "faster"."""
    skipped = {"repeat", "slower", "faster"}
    found: List[Dict[str, Any]] = []
    for event in reversed(tracker.events):
        kind = event.get("event")
        if kind == "bot":
            found.insert(0, event)
        elif kind == "user":
            intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
            if intent in skipped:
                found = []
            elif found:
                return found
    return found


def say_again(dispatcher: CollectingDispatcher, bot_events: List[Dict[str, Any]]) -> None:
    """Utter recorded bot messages again, buttons and reprompt included."""
    for event in bot_events:
        data = event.get("data") or {}
        dispatcher.utter_message(
            text=event.get("text"),
            buttons=data.get("buttons") or [],
            json_message=data.get("custom"),
        )


def last_profile_answer(tracker: Tracker) -> List[str]:
    """Profile slots set by the latest turn whose answers still stand (for "go back")."""
    current = dict(tracker.current_slot_values())
    names: List[str] = []
    for event in reversed(tracker.events):
        kind = event.get("event")
        if kind == "user" and names:
            return names
        if kind == "session_started":
            return []  # slots carried into a new session are not an answer to undo
        name = event.get("name")
        if (
            kind == "slot"
            and name in PROFILE_SLOTS
            and event.get("value") is not None
            and current.get(name) is not None
            and name not in names
        ):
            names.append(name)
    return names


def ask_profile_question(dispatcher: CollectingDispatcher, question: str) -> List[EventType]:
    """Ask one profile question and remember that it is waiting for an answer."""
    dispatcher.utter_message(response=f"utter_ask_{question}")
    return [SlotSet("pending", question)]


def reprompt_pending(dispatcher: CollectingDispatcher, slots: Dict[str, Any]) -> None:
    """After a side question, bring the person back to the profile question they were on."""
    pending = slots.get("pending")
    if pending in PROFILE_QUESTIONS:
        dispatcher.utter_message(response="utter_back_to_profile")
        dispatcher.utter_message(response=f"utter_ask_{pending}")


def continue_profile(
    dispatcher: CollectingDispatcher,
    slots: Dict[str, Any],
    update: ProfileUpdate,
    tracker: Tracker,
) -> List[EventType]:
    """Say what was understood, then ask the next needed question or show the options."""
    events = set_slots(update.values)
    merged = {**slots, **update.values}
    if update.unclear:
        dispatcher.utter_message(response="utter_profile_unclear", facts=update.unclear_names())
    for fact in update.changed:
        if merged.get(fact) in ("unknown", ["unknown"]):
            explain_unknown(dispatcher, fact)
    known_changes = [f for f in update.changed if merged.get(f) not in (None, "unknown")]
    if update.corrected:
        dispatcher.utter_message(
            response="utter_profile_corrected", facts=describe(merged, only=update.corrected)
        )
    elif known_changes:
        dispatcher.utter_message(
            response="utter_profile_noted", facts=describe(merged, only=known_changes)
        )
    question = next_question(Profile.from_slots(profile_slots(merged)))
    if question:
        return events + ask_profile_question(dispatcher, question)
    if update.changed or not slots.get("options_shown"):
        return events + show_options(dispatcher, merged, tracker)
    return events + [SlotSet("pending", None)]


def explain_unknown(dispatcher: CollectingDispatcher, fact: str) -> None:
    """Explain the test behind a fact the person doesn't know, and what each result opens up."""
    key = {"er": "hormone_receptors", "pr": "hormone_receptors", "hr": "hormone_receptors"}.get(
        fact, fact
    )
    explanation = catalog().tests.get(key)
    if explanation:
        dispatcher.utter_message(response="utter_unknown_result", explanation=explanation)


def show_options(
    dispatcher: CollectingDispatcher, slots: Dict[str, Any], tracker: Tracker
) -> List[EventType]:
    """List the treatment families that fit the profile, why, and the medicines in each.

    By voice the families are read three at a time; what follows the list waits for its end.
    """
    content = catalog()
    profile = Profile.from_slots(profile_slots(slots))
    options = recommend(profile)
    voice = voice_turn(tracker)
    dispatcher.utter_message(
        response="utter_options_intro", facts=describe(slots), count=len(options)
    )
    phrases = wording()
    families = []
    for number, option in enumerate(options, 1):
        family = content.family(option.family)
        item_texts, short_names = [], []
        for choice in option.items:
            item = content.item(choice.item)
            text = display_name(item)
            item_texts.append(f"{text} {choice.note}".strip() if choice.note else text)
            short_names.append(item.name)
        items = phrases["option_items"].format(items=join_words(item_texts)) if item_texts else ""
        # By voice, the generic names only: brand names and notes make a turn too long to hear.
        short_items = (
            phrases["option_items"].format(items=join_words(short_names)) if short_names else ""
        )
        if option.depends_on:
            labels = [phrases["depends_labels"].get(f, f) for f in option.depends_on]
            depends = phrases["option_depends"].format(facts=join_words(labels))
            items += depends
            short_items += depends
        families.append(
            message(
                "utter_option_family",
                number=number,
                family_name=capitalised(family.name),
                reason=content.reasons.get(option.reason, ""),
                items=items,
                short_items=short_items,
            )
        )
    example = content.family(options[0].family).name if options else "chemotherapy"
    # By voice the numbered list is the choice; reading five buttons aloud would repeat it.
    buttons = [
        {
            "title": phrases["option_button"].format(family=content.family(o.family).name),
            "payload": f'/ask_what_is{{"treatment":"{o.family}"}}',
        }
        for o in options
    ]
    after = [message("utter_options_next", example=example, buttons=[] if voice else buttons)]
    pending = None
    unknown = unknown_facts(profile)
    question = content.results_question
    guide = guide_store.normalise_entries(slots.get("guide"))
    if {"hormone_receptors", "her2"} & set(unknown) and not guide_store.contains(guide, question):
        after.append(message("utter_offer_results_question", question=question))
        pending = OFFER_PREFIX + question
    # Until another question is asked, "2" or "the second one" picks the second kind of treatment.
    events: List[EventType] = [
        SlotSet("options_shown", True),
        SlotSet("pending", None if pending else PICK_OPTION),
    ]
    return events + read_list(dispatcher, tracker, families, after, pending)


def pick_option(slots: Dict[str, Any], text: str) -> Family | None:
    """The kind of treatment the person picked by its number in the options list, if any."""
    options = recommend(Profile.from_slots(profile_slots(slots)))
    index = guide_store.parse_position(text, len(options)) if options else None
    return None if index is None else catalog().family(options[index].family)


def add_to_guide(
    dispatcher: CollectingDispatcher,
    slots: Dict[str, Any],
    question: str,
    family: str | None,
) -> List[EventType]:
    """Add one question to the guide and read it back."""
    entries = guide_store.normalise_entries(slots.get("guide"))
    if len(entries) >= guide_store.MAX_GUIDE_SIZE:
        dispatcher.utter_message(response="utter_guide_full")
        return []
    entries, added = guide_store.add_questions(entries, [question], family)
    if not added:
        dispatcher.utter_message(response="utter_guide_question_already", question=question)
        return []
    dispatcher.utter_message(response="utter_guide_added_question", question=question)
    return [SlotSet("guide", entries)]


def resolve_topic(tracker: Tracker, slots: Dict[str, Any]) -> tuple[Any | None, str | None]:
    """The treatment or medicine a question is about: (topic, unresolved name).

    Uses the drug or treatment named in the message, else the one talked about last.
    """
    content = catalog()
    for name in entity_values(tracker, "drug") + entity_values(tracker, "treatment"):
        topic = content.find(name)
        if topic is not None:
            return topic, None
        return None, name
    last = slots.get("last_topic")
    if last:
        return content.find(last), None
    return None, None


async def send_guide(
    dispatcher: CollectingDispatcher, slots: Dict[str, Any], conversation_id: str
) -> List[EventType]:
    """Compose the guide and hand it to the mail queue; say whether it went, waits, or can't go.

    The queue makes the first attempt at once; a mail server that is down or slow leaves the
    guide queued (sent later, also after a restart), and the person is told so. The guide slot is
    never touched here, so nothing the person saved is lost whatever happens to the email.
    """
    address = slots.get("email_address")
    entries = guide_store.normalise_entries(slots.get("guide"))
    if not address:
        dispatcher.utter_message(response="utter_ask_email")
        return [SlotSet("pending", "email_address")]
    if not entries:
        dispatcher.utter_message(response="utter_email_guide_empty")
        return [SlotSet("pending", None)]
    try:
        settings = MailSettings.from_env()
        message = compose_guide_email(
            address, [GuideEntry(family=e["family"], text=e["text"]) for e in entries], settings
        )
        outcome = await mail_service.send(conversation_id, address, message.as_bytes())
    except RateLimited as limited:
        dispatcher.utter_message(response=EMAIL_LIMIT_RESPONSES[limited.kind], limit=limited.limit)
        return [SlotSet("pending", None), SlotSet("email_address", None)]
    except Exception as exc:  # a broken mail configuration or queue must not lose the guide
        # Only the kind of error: database messages could quote the address.
        logger.error("Could not prepare or queue the guide email: %s", type(exc).__name__)
        dispatcher.utter_message(response="utter_email_failed")
        return [SlotSet("pending", None)]
    if outcome.state in (PENDING, SENDING):
        dispatcher.utter_message(response="utter_email_queued", address=address)
    elif outcome.state == FAILED:
        dispatcher.utter_message(response="utter_email_refused", address=address)
    elif outcome.via == "outbox":
        dispatcher.utter_message(response="utter_email_saved_outbox", path=outcome.path)
    else:
        dispatcher.utter_message(response="utter_email_sent", address=address)
    # The address is used for sending only: the queue holds it until the guide is sent.
    return [SlotSet("pending", None), SlotSet("email_address", None)]


def check_address(
    dispatcher: CollectingDispatcher, slots: Dict[str, Any], text: str
) -> tuple[str | None, List[EventType]]:
    """Read an address from typed or spoken text and check it.

    Returns the address when it can be used; otherwise None and the events after saying why.
    """
    entries = guide_store.normalise_entries(slots.get("guide"))
    if not entries:
        dispatcher.utter_message(response="utter_email_guide_empty")
        return None, [SlotSet("pending", None)]
    if "\n" in text.strip() or "\r" in text.strip():
        # A line break in an address field is how header injection starts: refuse it whole.
        dispatcher.utter_message(response="utter_email_problem_line_break")
        return None, [SlotSet("pending", "email_address")]
    candidate = extract_email(text)
    if not candidate:
        dispatcher.utter_message(response="utter_email_no_address")
        return None, [SlotSet("pending", "email_address")]
    check = validate_email(candidate)
    if not check.ok:
        dispatcher.utter_message(
            response=f"utter_email_problem_{check.problem or 'invalid'}", address=candidate
        )
        return None, [SlotSet("pending", "email_address")]
    return check.address, []


def take_email_address(
    dispatcher: CollectingDispatcher, slots: Dict[str, Any], text: str
) -> List[EventType]:
    """Read an address from typed or spoken text, check it, and ask for a yes before sending."""
    address, events = check_address(dispatcher, slots, text)
    if address is None:
        return events
    dispatcher.utter_message(
        response="utter_confirm_email",
        count=len(guide_store.normalise_entries(slots.get("guide"))),
        address=address,
        spelled=spell_out(address),
    )
    return [SlotSet("email_address", address), SlotSet("pending", "confirm_email")]


async def send_from_form(
    dispatcher: CollectingDispatcher, slots: Dict[str, Any], address: str, conversation_id: str
) -> List[EventType]:
    """Send the guide to an address typed into the web page's email form.

    The person typed it and pressed "Email my guide", with the address in front of them: that is
    the confirmation, so no yes/no follows. The address is checked here all the same.
    """
    checked, events = check_address(dispatcher, slots, address)
    if checked is None:
        return events
    return await send_guide(dispatcher, {**slots, "email_address": checked}, conversation_id)


# ---------------------------------------------------------------------------------------------
# Actions


class AnswersSomethingElse(Action, abc.ABC):
    """Base for actions that do something other than answer the question waiting for a reply.

    A confirmation or an offer left open ("Clear all 9 questions?") must not be answered by a
    "yes" said much later about something else, so it is closed here. A profile question stays
    open: the person is brought back to it.
    """

    @abc.abstractmethod
    async def respond(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[EventType]:
        """What the action says and does (abstract, so the action server doesn't register it)."""

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[EventType]:
        pending = tracker.get_slot("pending")
        events = await self.respond(dispatcher, tracker, domain)
        sets_pending = any(e.get("event") == "slot" and e.get("name") == "pending" for e in events)
        if pending and pending not in PROFILE_QUESTIONS and not sets_pending:
            events = [SlotSet("pending", None)] + events
        return events


def session_just_started(tracker: Tracker) -> bool:
    """Whether a session started after the person's previous message (so none is needed now)."""
    events = list(tracker.events)
    users = [i for i, event in enumerate(events) if event.get("event") == "user"]
    if not users:
        return False
    # Look before the message that asked for the session (Rasa logs more events after it).
    for event in reversed(events[: users[-1]]):
        if event.get("event") == "user":
            return False
        if event.get("event") == "session_started":
            return True
    return False


class ActionSessionStart(Action):
    """Start every new conversation with the short disclaimer, whatever the first message is."""

    def name(self) -> str:
        return "action_session_start"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[EventType]:
        if session_just_started(tracker):
            # A channel asked for a new session ("/session_start") in a conversation that Rasa
            # started a moment ago for this very message: one welcome is enough. The action_listen
            # keeps the next message matching the rules, as after any session start.
            return [ActionExecuted("action_listen")]
        # Keep what a returning person told us (carry_over_slots_to_new_session), but not a
        # question or a list left open last time: a new session is a fresh start.
        events: List[EventType] = [SessionStarted()]
        events += [
            SlotSet(name, value)
            for name, value in tracker.current_slot_values().items()
            if value is not None and name not in SESSION_SCOPED_SLOTS
        ]
        dispatcher.utter_message(response="utter_disclaimer")
        events.append(ActionExecuted("action_listen"))
        return events


class ActionUpdateProfile(Action):
    """Take profile facts from the message (any order, several at once, corrections)."""

    def name(self) -> str:
        return "action_update_profile"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[EventType]:
        slots = current_slots(tracker)
        intent = tracker.latest_message.get("intent", {}).get("name") or ""
        update = read_turn(
            slots, slots.get("pending"), intent, latest_text(tracker), entities_of(tracker)
        )
        if update.empty and not update.unclear and intent == "inform_profile":
            dispatcher.utter_message(response="utter_profile_nothing_new")
        return continue_profile(dispatcher, slots, update, tracker)


class ActionHandleAnswer(Action):
    """Read "yes", "no", "I don't know", a number or an address as the answer it is.

    The question waiting for an answer (slot ``pending``) gives the short reply its meaning.
    """

    def name(self) -> str:
        return "action_handle_answer"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[EventType]:
        slots = current_slots(tracker)
        pending = slots.get("pending") or ""
        intent = tracker.latest_message.get("intent", {}).get("name") or ""
        text = latest_text(tracker)
        entities = entities_of(tracker)

        if intent == "inform_number" and pending == PICK_OPTION:
            picked = pick_option(slots, text)
            if picked is not None:
                events = answer_about(dispatcher, tracker, slots, picked)
                return [SlotSet("pending", None)] + events

        # "2" or "the second one" picks the second button of the question being answered.
        if intent == "inform_number" and pending:
            kind = "offer" if pending.startswith(OFFER_PREFIX) else pending
            choice = choose(domain, BUTTON_RESPONSES.get(kind, f"utter_ask_{kind}"), text)
            if choice:
                intent, entities = choice

        # Facts said along with the answer count first; a bare yes or no answers the question
        # waiting (actions/profile_state.read_turn).
        picked = entities != entities_of(tracker)  # a button chosen by its number
        update = read_turn(slots, pending, intent, text, entities, from_button=picked)
        if update.empty and pending == "spread" and intent == "affirm":
            dispatcher.utter_message(response="utter_ask_spread_where")
            return []
        if not update.empty or update.unclear:
            return continue_profile(dispatcher, slots, update, tracker)

        if pending == "confirm_email":
            if intent == "affirm":
                return await send_guide(dispatcher, slots, tracker.sender_id)
            if intent == "deny":
                dispatcher.utter_message(response="utter_email_ask_again")
                return [SlotSet("pending", "email_address"), SlotSet("email_address", None)]
        if pending == "confirm_clear":
            if intent == "affirm":
                dispatcher.utter_message(response="utter_guide_cleared")
                return [SlotSet("guide", []), SlotSet("pending", None)]
            dispatcher.utter_message(response="utter_guide_kept")
            return [SlotSet("pending", None)]
        if pending == "confirm_forget":
            return forget_or_keep(dispatcher, intent == "affirm")
        if pending.startswith(OFFER_PREFIX):
            if intent == "affirm":
                question = pending[len(OFFER_PREFIX) :]
                return add_to_guide(dispatcher, slots, question, "general") + [
                    SlotSet("pending", None)
                ]
            if intent == "deny":
                dispatcher.utter_message(response="utter_ok")
                return [SlotSet("pending", None)]
        if pending in ("email_address", "confirm_email") and intent == "deny":
            dispatcher.utter_message(response="utter_email_cancelled")
            return [SlotSet("pending", None), SlotSet("email_address", None)]
        if pending == "remove_which" and intent == "inform_number":
            return remove_from_guide(dispatcher, tracker, slots, text)
        if intent == "inform_email" or pending == "email_address":
            return take_email_address(dispatcher, slots, text)
        if pending in PROFILE_QUESTIONS:
            reprompt_pending(dispatcher, slots)
            return []
        if intent == "affirm" and not pending and not slots.get("options_shown"):
            # "Yes" to "Shall we find your options?": start finding them.
            return continue_profile(dispatcher, slots, update, tracker)
        dispatcher.utter_message(response="utter_what_next")
        return [SlotSet("pending", None)]


class ActionShowOptions(Action):
    """Show the treatments that fit, or ask what is still needed first."""

    def name(self) -> str:
        return "action_show_options"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[EventType]:
        slots = current_slots(tracker)
        intent = tracker.latest_message.get("intent", {}).get("name") or ""
        update = read_turn(
            slots, slots.get("pending"), intent, latest_text(tracker), entities_of(tracker)
        )
        merged = {**slots, **update.values}
        question = next_question(Profile.from_slots(profile_slots(merged)))
        if question:
            if update.empty:
                dispatcher.utter_message(response="utter_options_need_profile")
            return continue_profile(dispatcher, slots, update, tracker)
        return set_slots(update.values) + show_options(dispatcher, merged, tracker)


class ActionAnswerQuestion(AnswersSomethingElse):
    """Answer what a treatment is, how it works, how it is given, side effects, who it is for."""

    def name(self) -> str:
        return "action_answer_question"

    async def respond(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[EventType]:
        slots = current_slots(tracker)
        intent = tracker.latest_message.get("intent", {}).get("name") or "ask_what_is"
        field, response = QUESTION_FIELDS.get(intent, QUESTION_FIELDS["ask_what_is"])
        topic, unresolved = resolve_topic(tracker, slots)
        if topic is None:
            if unresolved:
                dispatcher.utter_message(response="utter_unknown_topic", name=unresolved)
            else:
                dispatcher.utter_message(response="utter_which_topic")
            reprompt_pending(dispatcher, slots)
            return []
        return answer_about(dispatcher, tracker, slots, topic, intent)


def answer_about(
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    slots: Dict[str, Any],
    topic: Family | Item,
    intent: str = "ask_what_is",
) -> List[EventType]:
    """Answer one question about a treatment or medicine, then offer to save its questions."""
    field, response = QUESTION_FIELDS.get(intent, QUESTION_FIELDS["ask_what_is"])
    name = display_name(topic)
    text = getattr(topic, field, "")
    if field == "what_is" and isinstance(topic, Item) and topic.how_it_works:
        # "A targeted pill" alone says little: add what the medicine does.
        text = f"{text} {topic.how_it_works}"
    if text:
        dispatcher.utter_message(response=response, name=name, fact=text)
    else:
        dispatcher.utter_message(
            response="utter_answer_not_on_page",
            topic=wording()["question_topics"][field],
            name=name,
        )
    content = catalog()
    family = topic if isinstance(topic, Family) else content.family(topic.family)
    after = []
    if slots.get("pending") not in PROFILE_QUESTIONS:
        after.append(message("utter_offer_save_family", family_name=family.name))
    events: List[EventType] = [SlotSet("last_topic", topic.key)]
    names = []
    if isinstance(topic, Family) and intent == "ask_what_is" and topic.item_keys:
        names = [display_name(content.item(key)) for key in topic.item_keys]
    if needs_paging(names, voice_turn(tracker)):
        dispatcher.utter_message(response="utter_answer_family_items_count", count=len(names))
        items = [message("utter_list_item", item=name) for name in names]
        events += read_list(dispatcher, tracker, items, after)
    else:
        if names:
            dispatcher.utter_message(response="utter_answer_family_items", items=join_words(names))
        say(dispatcher, after)
    reprompt_pending(dispatcher, slots)
    return events


class ActionGuideAddFamily(AnswersSomethingElse):
    """Save a treatment family's doctor questions ("save the hormone therapy questions")."""

    def name(self) -> str:
        return "action_guide_add_family"

    async def respond(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[EventType]:
        slots = current_slots(tracker)
        topic, _ = resolve_topic(tracker, slots)
        if topic is None:
            dispatcher.utter_message(response="utter_guide_which_family")
            return []
        content = catalog()
        family = topic if isinstance(topic, Family) else content.family(topic.family)
        entries = guide_store.normalise_entries(slots.get("guide"))
        entries, added = guide_store.add_questions(entries, family.doctor_questions, family.key)
        if added:
            dispatcher.utter_message(
                response="utter_guide_added_family",
                count=len(added),
                family_name=family.name,
                total=len(entries),
            )
        else:
            dispatcher.utter_message(
                response="utter_guide_family_already", family_name=family.name, total=len(entries)
            )
        reprompt_pending(dispatcher, slots)
        return [SlotSet("guide", entries), SlotSet("last_topic", family.key)]


class ActionGuideAddQuestion(AnswersSomethingElse):
    """Save a question in the person's own words ("add: can I still travel during chemo?")."""

    def name(self) -> str:
        return "action_guide_add_question"

    async def respond(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[EventType]:
        slots = current_slots(tracker)
        question = guide_store.extract_own_question(latest_text(tracker))
        if not question:
            dispatcher.utter_message(response="utter_guide_ask_own_question")
            return []
        events = add_to_guide(dispatcher, slots, question, None)
        reprompt_pending(dispatcher, slots)
        return events


class ActionGuideRead(AnswersSomethingElse):
    """Read the guide back, numbered."""

    def name(self) -> str:
        return "action_guide_read"

    async def respond(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[EventType]:
        slots = current_slots(tracker)
        entries = guide_store.normalise_entries(slots.get("guide"))
        if not entries:
            dispatcher.utter_message(response="utter_guide_empty")
            reprompt_pending(dispatcher, slots)
            return []
        events = read_guide(dispatcher, tracker, entries)
        reprompt_pending(dispatcher, slots)
        return events


def read_guide(
    dispatcher: CollectingDispatcher, tracker: Tracker, entries: List[Dict[str, Any]]
) -> List[EventType]:
    """Read the guide back, numbered; by voice three questions at a time."""
    if not voice_turn(tracker):
        dispatcher.utter_message(
            response="utter_guide_read", count=len(entries), questions=guide_store.numbered(entries)
        )
        return []
    dispatcher.utter_message(response="utter_guide_count", count=len(entries))
    items = [
        message("utter_guide_item", number=number, question=entry["text"])
        for number, entry in enumerate(entries, 1)
    ]
    return read_list(dispatcher, tracker, items)


def remove_from_guide(
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    slots: Dict[str, Any],
    text: str,
    question: str | None = None,
) -> List[EventType]:
    """Remove the question the person names, or ask which one.

    By position ("the second one"), or by its words from the web page's Remove button.
    """
    entries = guide_store.normalise_entries(slots.get("guide"))
    if not entries:
        dispatcher.utter_message(response="utter_guide_empty")
        return [SlotSet("pending", None)]
    if question is not None:
        # By its words, not its number: the page's list may be a moment behind the guide.
        index = guide_store.find(entries, question)
        if index is None:
            dispatcher.utter_message(response="utter_guide_question_gone", total=len(entries))
            return [SlotSet("pending", None)]
        entries, removed = guide_store.remove_at(entries, index)
        dispatcher.utter_message(
            response="utter_guide_removed", question=removed["text"], total=len(entries)
        )
        return [SlotSet("guide", entries), SlotSet("pending", None)]
    index = guide_store.parse_position(text, len(entries))
    if index is None and len(entries) == 1:
        index = 0
    if index is None:
        events = read_guide(dispatcher, tracker, entries)
        dispatcher.utter_message(response="utter_guide_which_remove", count=len(entries))
        return events + [SlotSet("pending", "remove_which")]
    entries, removed = guide_store.remove_at(entries, index)
    dispatcher.utter_message(
        response="utter_guide_removed", question=removed["text"], total=len(entries)
    )
    return [SlotSet("guide", entries), SlotSet("pending", None)]


class ActionGuideRemove(Action):
    """Remove one question ("remove the second one")."""

    def name(self) -> str:
        return "action_guide_remove"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[EventType]:
        named = entity_values(tracker, "guide_question")
        return remove_from_guide(
            dispatcher,
            tracker,
            current_slots(tracker),
            latest_text(tracker),
            named[0] if named else None,
        )


class ActionGuideClear(Action):
    """Ask before clearing the whole guide."""

    def name(self) -> str:
        return "action_guide_clear"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[EventType]:
        entries = guide_store.normalise_entries(current_slots(tracker).get("guide"))
        if not entries:
            dispatcher.utter_message(response="utter_guide_empty")
            return [SlotSet("pending", None)]
        dispatcher.utter_message(response="utter_guide_confirm_clear", count=len(entries))
        return [SlotSet("pending", "confirm_clear")]


def forget_or_keep(dispatcher: CollectingDispatcher, confirmed: bool) -> List[EventType]:
    """The answer to "Delete everything?": only a clear yes deletes.

    The deletion itself happens in the tracker store when this turn is saved (stores/forget.py):
    the slot below is its signal. The web chat page gets a ``conversation_deleted`` note so it
    can clear the screen and start afresh; other channels ignore it.
    """
    if not confirmed:
        dispatcher.utter_message(response="utter_forget_kept")
        return [SlotSet("pending", None)]
    dispatcher.utter_message(response="utter_forget_done")
    dispatcher.utter_message(json_message={"conversation_deleted": True})
    return [SlotSet("pending", None), SlotSet(FORGET_SLOT, True)]


class ActionForgetMe(Action):
    """Ask before deleting the whole conversation ("delete what I told you")."""

    def name(self) -> str:
        return "action_forget_me"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[EventType]:
        dispatcher.utter_message(response="utter_forget_confirm")
        return [SlotSet("pending", "confirm_forget")]


class ActionEmailGuide(Action):
    """Start sending the guide: take the address from the message or ask for it."""

    def name(self) -> str:
        return "action_email_guide"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[EventType]:
        slots = current_slots(tracker)
        if not guide_store.normalise_entries(slots.get("guide")):
            dispatcher.utter_message(response="utter_email_guide_empty")
            return [SlotSet("pending", None)]
        from_form = entity_values(tracker, "email")
        if from_form:
            return await send_from_form(dispatcher, slots, from_form[0], tracker.sender_id)
        text = latest_text(tracker)
        if extract_email(text):
            return take_email_address(dispatcher, slots, text)
        dispatcher.utter_message(response="utter_ask_email")
        return [SlotSet("pending", "email_address")]


class ActionSources(AnswersSomethingElse):
    """Say where the information comes from and how old it is."""

    def name(self) -> str:
        return "action_sources"

    async def respond(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[EventType]:
        content = catalog()
        dispatcher.utter_message(
            response="utter_sources",
            title=content.page_title,
            publisher=content.publisher,
            reviewer=content.reviewed_by,
            date=content.review_date_text,
            sources="; ".join(content.sources_text()),
        )
        reprompt_pending(dispatcher, current_slots(tracker))
        return []


class ActionPersonalAdvice(AnswersSomethingElse):
    """No personal advice: explain, point to the care team, offer the question for the guide."""

    def name(self) -> str:
        return "action_personal_advice"

    async def respond(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[EventType]:
        slots = current_slots(tracker)
        dispatcher.utter_message(response="utter_no_personal_advice")
        topic, _ = resolve_topic(tracker, {})
        events: List[EventType] = []
        if topic is not None and topic.what_is:
            dispatcher.utter_message(
                response="utter_answer_what_is", name=display_name(topic), fact=topic.what_is
            )
            events.append(SlotSet("last_topic", topic.key))
        question = guide_store.extract_own_question(latest_text(tracker)[:200])
        if question and slots.get("pending") not in PROFILE_QUESTIONS:
            dispatcher.utter_message(response="utter_offer_advice_question", question=question)
            events.append(SlotSet("pending", OFFER_PREFIX + question))
        else:
            reprompt_pending(dispatcher, slots)
        return events


class ActionReprompt(AnswersSomethingElse):
    """Bring the person back to the profile question they were answering, if any."""

    def name(self) -> str:
        return "action_reprompt"

    async def respond(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[EventType]:
        reprompt_pending(dispatcher, current_slots(tracker))
        return []


def profile_answer(slots: Dict[str, Any], tracker: Tracker, text: str) -> ProfileUpdate | None:
    """A clear answer to the profile question waiting, in a message the model was unsure of.

    "Yes, I have been through menopause" sits between "yes" and a statement, and the model may
    split its confidence between the two; the facts found in it, or its leading yes or no, still
    answer the question that was asked.
    """
    pending = slots.get("pending")
    update = read_turn(slots, pending, "nlu_fallback", text, entities_of(tracker))
    return None if update.empty and not update.unclear else update


class ActionDefaultFallback(Action):
    """When the model is unsure: safety first, then an address we were waiting for, then help."""

    def name(self) -> str:
        return "action_default_fallback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[EventType]:
        slots = current_slots(tracker)
        text = latest_text(tracker)
        danger = classify_danger(text)
        if danger:
            dispatcher.utter_message(response=f"utter_{danger}")
            return []
        if not text.strip() or not any(ch.isalnum() for ch in text):
            dispatcher.utter_message(response="utter_empty_message")
            reprompt_pending(dispatcher, slots)
            return []
        if slots.get("pending") == "email_address" or (
            slots.get("pending") == "confirm_email" and extract_email(text)
        ):
            return take_email_address(dispatcher, slots, text)
        update = profile_answer(slots, tracker, text)
        if update is not None:
            return continue_profile(dispatcher, slots, update, tracker)
        if len(text) > LONG_MESSAGE:
            dispatcher.utter_message(response="utter_message_too_long")
        else:
            dispatcher.utter_message(response="utter_default")
        reprompt_pending(dispatcher, slots)
        return []


# ---------------------------------------------------------------------------------------------
# Voice controls: available in every state, mid-profile included. They act on what was said last
# and leave the question waiting for an answer (slot ``pending``) as it was.

SPEECH_RATES = (70, 85, 100, 115, 130)  # percent of normal; each "slower" or "faster" is a step


def next_rate(current: Any, intent: str) -> int:
    """The speaking rate one step slower or faster, within SPEECH_RATES."""
    try:
        rate = int(float(current))
    except (TypeError, ValueError, OverflowError):  # infinity has no integer
        rate = 100
    index = min(range(len(SPEECH_RATES)), key=lambda i: abs(SPEECH_RATES[i] - rate))
    step = -1 if intent == "slower" else 1
    return SPEECH_RATES[max(0, min(len(SPEECH_RATES) - 1, index + step))]


class ActionRepeat(Action):
    """Say the last answer again, with its choices."""

    def name(self) -> str:
        return "action_repeat"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[EventType]:
        answer = last_answer(tracker)
        if answer:
            say_again(dispatcher, answer)
        else:
            dispatcher.utter_message(response="utter_repeat_nothing")
        return []


class ActionMore(Action):
    """Read the next part of a list read out by voice."""

    def name(self) -> str:
        return "action_more"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[EventType]:
        state = current_list(tracker)
        following = next_page(state) if state else None
        if following is None:
            dispatcher.utter_message(response="utter_more_nothing")
            reprompt_pending(dispatcher, current_slots(tracker))
            return []
        say(dispatcher, following.page)
        events: List[EventType] = [SlotSet("more", following.to_slot())]
        if following.left:
            dispatcher.utter_message(response="utter_list_more", count=following.left)
            return events
        say(dispatcher, following.after)
        if following.pending:
            events.append(SlotSet("pending", following.pending))
        return events


class ActionGoBack(Action):
    """Go back: to the previous part of a list, or to the last profile question answered."""

    def name(self) -> str:
        return "action_go_back"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[EventType]:
        state = current_list(tracker)
        earlier = previous_page(state) if state else None
        if earlier is not None:
            say(dispatcher, earlier.page)
            dispatcher.utter_message(response="utter_list_more", count=earlier.left)
            return [SlotSet("more", earlier.to_slot())]
        slots = current_slots(tracker)
        undone = last_profile_answer(tracker)
        if undone:
            cleared = {**slots, **{name: None for name in undone}}
            question = next_question(Profile.from_slots(profile_slots(cleared)))
            if question:
                dispatcher.utter_message(response="utter_go_back_profile")
                events = [SlotSet(name, None) for name in undone]
                events += [SlotSet("options_shown", False), SlotSet("more", None)]
                return events + ask_profile_question(dispatcher, question)
        dispatcher.utter_message(response="utter_go_back_nothing")
        reprompt_pending(dispatcher, slots)
        return []


class ActionSpeechRate(Action):
    """Speak slower or faster, then say the last answer again at the new pace."""

    def name(self) -> str:
        return "action_speech_rate"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[EventType]:
        intent = tracker.latest_message.get("intent", {}).get("name") or "slower"
        current = tracker.get_slot("speech_rate")
        rate = next_rate(current, intent)
        if current is not None and rate == int(float(current)):
            dispatcher.utter_message(response=f"utter_rate_limit_{intent}")
        else:
            dispatcher.utter_message(response=f"utter_rate_{intent}")
        if voice_turn(tracker):
            say_again(dispatcher, last_answer(tracker))
        return [SlotSet("speech_rate", rate)]


class ActionWhatCanISay(Action):
    """Say what works right now: answers to the open question, list controls, or the basics."""

    def name(self) -> str:
        return "action_what_can_i_say"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[EventType]:
        pending = tracker.get_slot("pending") or ""
        if pending in PROFILE_QUESTIONS:
            dispatcher.utter_message(response=f"utter_what_can_i_say_{pending}")
        elif pending.startswith(OFFER_PREFIX) or pending.startswith("confirm_"):
            dispatcher.utter_message(response="utter_what_can_i_say_confirm")
        elif pending in ("email_address", "remove_which", PICK_OPTION):
            dispatcher.utter_message(response=f"utter_what_can_i_say_{pending}")
        elif current_list(tracker) is not None:
            dispatcher.utter_message(response="utter_what_can_i_say_list")
        else:
            dispatcher.utter_message(response="utter_what_can_i_say")
        dispatcher.utter_message(response="utter_what_can_i_say_always")
        return []


__all__ = [name for name in dir() if name.startswith("Action")] + ["PROFILE_SLOTS"]
