/**
 * Draws the conversation in the role="log" list. Every word goes in as text (textContent,
 * text nodes), so a message can never become markup. Incoming messages never move focus.
 * @module transcript
 */

const reducedMotion = window.matchMedia("(prefers-reduced-motion: reduce)");
const WEB_ADDRESS = /https?:\/\/[^\s<>"]+[^\s<>".,;:!?)\]'’”]/g;

let log, list, hooks;
/** False while a stored conversation is drawn: one jump to its end, not a scroll per message. */
let live = true;

/** @param {{onChoice: (c: {title: string, payload: string}) => void, onPlay: (s: object) => void}} handlers */
export function initTranscript(logElement, listElement, handlers) {
  log = logElement;
  list = listElement;
  hooks = handlers;
}

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text) node.textContent = text;
  return node;
}

/** A line with its web addresses as links (built from nodes, never from HTML). */
function line(tag, text) {
  const node = el(tag);
  let last = 0;
  for (const match of text.matchAll(WEB_ADDRESS)) {
    const link = el("a", null, match[0]);
    link.href = match[0];
    link.target = "_blank";
    link.rel = "noopener noreferrer";
    link.append(el("span", "visually-hidden", " (opens in a new tab)"));
    node.append(text.slice(last, match.index), link);
    last = match.index + match[0].length;
  }
  node.append(text.slice(last));
  return node;
}

/** Lines become paragraphs, runs of "- " lines a list, as the assistant writes them. */
function body(text) {
  const box = el("div", "message-text");
  let bullets = null;
  for (const raw of text.split("\n")) {
    const words = raw.trim();
    if (words.startsWith("- ")) {
      bullets = bullets || box.appendChild(el("ul"));
      bullets.append(line("li", words.slice(2)));
    } else {
      bullets = null;
      if (words) box.append(line("p", words));
    }
  }
  return box;
}

/**
 * Shows the newest message: the log scrolls itself; the page only while the person is in the
 * chat (someone reading the guide is not pulled away).
 */
function add(item) {
  list.append(item);
  if (!live) return;
  const behavior = reducedMotion.matches ? "auto" : "smooth";
  if (log.scrollHeight > log.clientHeight) log.scrollTo({ top: log.scrollHeight, behavior });
  const active = document.activeElement;
  if (!active || active === document.body || log.closest("section").contains(active)) {
    item.scrollIntoView({ block: "nearest", behavior });
  }
}

/** Draws a stored conversation in one go, marked busy so it is not read out as new. */
export function restoring(draw) {
  live = false;
  log.setAttribute("aria-busy", "true");
  try {
    draw();
  } finally {
    live = true;
    log.removeAttribute("aria-busy");
    log.scrollTop = log.scrollHeight;
  }
}

/** Removes the choices: they answered a question the conversation has moved past. */
export function clearChoices() {
  for (const group of list.querySelectorAll(".choices")) group.remove();
}

/** @param {string} text the person's words (never a payload) */
export function addUser(text) {
  const item = el("li", "message from-user");
  item.append(el("span", "visually-hidden", "You said: "), body(text));
  add(item);
}

/**
 * @param {Array<{title: string, payload: string}>} choices quick replies, as buttons under it
 * @param {string|null} audio an object URL of it read aloud, when it came with one
 * @returns {{text: string, audio: (string|null)}} what its Play button reads (audio kept on it)
 */
export function addAssistant(text, choices = [], audio = null) {
  const item = el("li", "message from-assistant");
  const spoken = { text, audio };
  const play = el("button", "play", "Play");
  play.type = "button";
  play.setAttribute("aria-label", "Play this message");
  play.addEventListener("click", () => hooks.onPlay(spoken));
  item.append(el("span", "visually-hidden", "Assistant said: "), body(text), play);
  const usable = choices.filter((c) => c && c.title && c.payload);
  if (usable.length) {
    clearChoices();
    const group = item.appendChild(el("div", "choices"));
    group.setAttribute("role", "group");
    group.setAttribute("aria-label", "Choices");
    for (const choice of usable) {
      const button = group.appendChild(el("button", "choice", String(choice.title)));
      button.type = "button";
      button.addEventListener("click", () => hooks.onChoice(choice));
    }
  }
  add(item);
  return spoken;
}

export const assistantCount = () => list.querySelectorAll(".from-assistant").length;

export const clearTranscript = () => list.replaceChildren();
