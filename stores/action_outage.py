"""A clear answer when the action server is down, instead of silence.

Almost every answer of this assistant comes from the action server. When Rasa 3.6 can't reach
it, ``RemoteAction.run`` raises, the processor logs the error, drops the action's events and
goes on: the person gets no reply at all, and may be offered the next custom action's failure
too. ``install`` wraps ``RemoteAction.run`` so that a failed call instead says the domain
response ``ACTION_OUTAGE_RESPONSE`` (what happened, that what was saved is safe, to say it again
in a minute) and ends the turn with ``action_listen``. What the person said stays in the
conversation; the first turn after the action server is back works as usual.

A refusal by the action server itself (``ActionExecutionRejection``, used by forms) is not an
outage and is passed on unchanged. Installed once, with the tracker store
(stores/tracker_store.py), because that is the project code Rasa loads at start-up. Targets the
pinned Rasa 3.6.21; tested end to end in tests/test_faults_e2e.py.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from typing import Any

from rasa.core.actions.action import ActionExecutionRejection, RemoteAction, create_bot_utterance
from rasa.shared.core.events import Event, FollowupAction
from rasa.shared.exceptions import RasaException

logger = logging.getLogger(__name__)

ACTION_OUTAGE_RESPONSE = "utter_action_server_unavailable"


async def outage_events(output_channel: Any, nlg: Any, tracker: Any) -> list[Event]:
    """The reply for a turn whose custom action could not run, and the end of that turn."""
    message = await nlg.generate(ACTION_OUTAGE_RESPONSE, tracker, output_channel.name())
    said = [create_bot_utterance(message)] if message else []  # None: a model without it
    return said + [FollowupAction("action_listen")]


def install() -> None:
    """Wrap ``RemoteAction.run`` once so an unreachable action server gets a clear answer."""
    if getattr(RemoteAction, "_mbc_outage_installed", False):
        return
    run = RemoteAction.run

    @functools.wraps(run)
    async def run_or_say_outage(
        self: RemoteAction, output_channel: Any, nlg: Any, tracker: Any, domain: Any
    ) -> list[Event]:
        try:
            return await run(self, output_channel, nlg, tracker, domain)
        except ActionExecutionRejection:
            raise
        except (RasaException, OSError, asyncio.TimeoutError) as error:
            # asyncio.TimeoutError: an action server that accepts but never answers.
            # Rasa has already logged the reason; this says what the person was told.
            logger.error(
                "Action %s could not run (%s); said so.", self.name(), type(error).__name__
            )
            return await outage_events(output_channel, nlg, tracker)

    RemoteAction.run = run_or_say_outage
    RemoteAction._mbc_outage_installed = True
