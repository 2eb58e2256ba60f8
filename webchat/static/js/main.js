/**
 * Wires the page: draws the conversation kept for this device, connects, and passes messages
 * between the form, the log, the guide, speech and the settings.
 * @module main
 */
import { initStatus, say, sayStoreDown } from "./status.js";
import { initSettings, settings } from "./settings.js";
import { connect, storedSessionId } from "./connection.js";
import {
  initTranscript, addUser, addAssistant, clearChoices, clearTranscript, assistantCount, restoring,
} from "./transcript.js";
import { initGuide, showGuide, refreshGuide, clearGuide, takeEmailAnswer } from "./guide.js";
import { initSpeech, cancel as cancelSpeech, listening } from "./speech.js";
import { enqueue, playMessage, speakUrl } from "./player.js";
import {
  wordsFor, removePayload, removeWords, emailPayload, emailWords, FORGET_PAYLOAD, FORGET_WORDS,
} from "./payloads.js";

const $ = (id) => document.getElementById(id);
const box = $("message");
const list = (value) => (Array.isArray(value) ? value : []);

let connection = null;
let guideTimer = null;
let startingOver = false;
/** The latest assistant text, shown again on the fresh page after a deletion. */
let lastAssistantText = "";
/** Typed while the kept conversation loads, before the socket exists: sent once it does. */
const early = [];

/** The guide is saved by the time a burst of replies is over: redraw it 300 ms after the last. */
function refreshGuideSoon() {
  clearTimeout(guideTimer);
  guideTimer = setTimeout(() => refreshGuide(connection && connection.sessionId()), 300);
}

/** Sends a text or payload and shows the person's words (none for hidden payloads). */
function send(message, words) {
  clearChoices();
  if (words) addUser(words);
  if (connection) connection.send(message);
  else early.push(message);
}

/**
 * The person confirmed "delete what I told you" and the server deleted the conversation: clear
 * the screen and the guide, keep only the server's confirmation, and start a new conversation.
 */
function afterDeletion() {
  clearTimeout(guideTimer);
  clearTranscript();
  clearGuide();
  if (lastAssistantText) addAssistant(lastAssistantText, []);
  startingOver = "deleted";
  if (connection) connection.restart();
  box.focus();
}

/** One `bot_uttered`: its text and choices are shown (attachments and other custom JSON are not). */
function onBotMessage(message) {
  if (message.custom && message.custom.conversation_deleted === true) {
    afterDeletion();
    return;
  }
  const text = typeof message.text === "string" ? message.text : "";
  if (text.trim()) {
    lastAssistantText = text;
    const spoken = addAssistant(text, list(message.quick_replies || message.buttons));
    takeEmailAnswer(text);
    const { rate, readAloud } = settings();
    // Fetched at once, played in order; not over the person's own voice.
    if (readAloud && !listening()) {
      enqueue(speakUrl(text, rate).then((url) => url && Object.assign(spoken, { audio: url, rate }).audio));
    }
  }
  refreshGuideSoon();
}

/** A spoken turn's answer (speech.js plays its sound). */
function onSpokenAnswer(answer, audio) {
  const heard = String(answer.transcript || "").trim();
  if (heard) {
    clearChoices();
    addUser(heard);
  }
  const replies = list(answer.messages).filter((m) => m && typeof m.text === "string" && m.text.trim());
  for (const m of replies) {
    // Alone, a reply's Play reuses the turn's sound; several each ask for their own.
    const spoken = addAssistant(m.text, list(m.buttons), replies.length === 1 ? audio : null);
    spoken.rate = settings().rate;
  }
  refreshGuideSoon();
}

/** A kept conversation: payloads back into words, choices only while still unanswered. */
function draw({ messages, guide }) {
  messages = list(messages);
  const titles = new Map(); // payload → title of the choices offered so far
  const lastUser = messages.map((m) => m.from).lastIndexOf("user");
  let open = -1;
  messages.forEach((m, i) => (open = i > lastUser && list(m.buttons).length ? i : open));
  restoring(() =>
    messages.forEach((m, i) => {
      if (typeof m.text !== "string") return;
      if (m.from === "user") {
        const words = wordsFor(m.text, titles);
        if (words !== null) addUser(words);
      } else {
        for (const b of list(m.buttons)) titles.set(b.payload, b.title);
        addAssistant(m.text, i === open ? m.buttons : []);
      }
    }),
  );
  if (guide) showGuide(guide);
}

async function restore(id) {
  if (!id) return;
  try {
    const answer = await fetch(`/webhooks/webchat/conversation?session_id=${encodeURIComponent(id)}`);
    if (answer.ok) draw(await answer.json());
    // 503: the server's conversation store is down; the conversation is kept, not lost.
    else if (answer.status === 503) sayStoreDown();
  } catch {
    /* not reachable yet: the status line says so once the socket tries */
  }
}

initStatus($("status"));
initSettings({
  size: $("text-size"),
  rate: $("speech-speed"),
  contrast: $("high-contrast"),
  readAloud: $("read-aloud"),
  keepListening: $("keep-listening"),
});
initTranscript($("transcript"), $("messages"), {
  onChoice(choice) {
    send(String(choice.payload), String(choice.title));
    box.focus();
  },
  onPlay: (spoken) => playMessage(spoken, settings().rate),
});
initGuide({
  onRemove: (question) => send(removePayload(question.text), removeWords(question.text)),
  onEmail: (address) => send(emailPayload(address), emailWords(address)),
});
initSpeech($("speak"), $("speak-hint"), {
  sessionId: () => connection && connection.sessionId(),
  rate: () => settings().rate,
  keepListening: () => settings().keepListening,
  onAnswer: onSpokenAnswer,
});

$("message-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const text = box.value.trim();
  if (text) send(text, text);
  box.value = "";
  box.focus();
});
// Lands in the box even where following a fragment link does not move focus.
document.querySelector(".skip-link").addEventListener("click", (event) => {
  event.preventDefault();
  box.focus();
});
// Asks in the conversation (yes or no), like saying "delete what I told you".
$("delete-conversation").addEventListener("click", () => {
  send(FORGET_PAYLOAD, FORGET_WORDS);
  box.focus();
});
$("new-conversation").addEventListener("click", () => {
  cancelSpeech();
  clearTimeout(guideTimer);
  clearTranscript();
  clearGuide();
  startingOver = true;
  if (connection) connection.restart();
  box.focus();
});

await restore(storedSessionId());
connection = connect({
  onMessage: onBotMessage,
  hasHistory: () => assistantCount() > 0,
  onSession(isNew) {
    if (isNew) connection.send("/session_start"); // the assistant's welcome
    if (startingOver === "deleted") say("Your conversation was deleted. A new one has started. Connected.");
    else if (startingOver) say("New conversation started. The old one is no longer kept on this device. Connected.");
    startingOver = false;
  },
});
for (const message of early.splice(0)) connection.send(message);
