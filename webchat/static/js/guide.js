/**
 * The guide panel: questions for the doctor with Remove buttons, an email form, print and
 * download. The server owns the guide; this shows it and asks for changes through the chat.
 * @module guide
 */
import { sayStoreDown } from "./status.js";

const EMAIL_SHAPE = /^[^\s@]+@[^\s@.]+(\.[^\s@.]+)+$/;
const FILENAME = "questions-for-my-doctor.txt";
const $ = (id) => document.getElementById(id);

/** @type {{questions: Array<{number: number, text: string}>, text: string, filename: string}} */
let guide = { questions: [], text: "", filename: FILENAME };
/** Place of the Remove button pressed: focus goes to the one there once the list is redrawn. */
let focusAfterRemove = null;
let waitingForEmailAnswer = false;
let ui, hooks;

/**
 * @param {{onRemove: (q: {text: string}) => void, onEmail: (address: string) => void}} handlers
 *   the page sends these as messages, so the conversation shows what was asked
 */
export function initGuide(handlers) {
  hooks = handlers;
  ui = {};
  for (const id of ["guide-heading", "guide-list", "guide-empty", "guide-source", "guide-status",
    "guide-email", "email-error", "email-status"]) ui[id] = $(id);
  $("email-form").addEventListener("submit", submitEmail);
  ui["guide-email"].addEventListener("input", () => showError(""));
  $("print-guide").addEventListener("click", () => window.print());
  $("download-guide").addEventListener("click", download);
}

/** What follows the last numbered question: disclaimer, review date, sources (for print). */
function sourceLines(text) {
  const lines = text.trimEnd().split("\n");
  const last = lines.map((line) => /^\d+\.\s/.test(line)).lastIndexOf(true);
  return lines.slice(last + 1).join("\n").trim();
}

function item(question) {
  const li = document.createElement("li");
  const row = li.appendChild(document.createElement("div")); // flex row; the <li> keeps its number
  row.className = "question";
  const words = row.appendChild(document.createElement("span"));
  words.className = "question-text";
  words.textContent = question.text;
  const remove = row.appendChild(document.createElement("button"));
  remove.type = "button";
  remove.className = "remove";
  remove.textContent = "Remove";
  // Starts with the visible word, so voice control ("click Remove") still finds it.
  remove.setAttribute("aria-label", `Remove question ${question.number}: ${question.text}`);
  remove.addEventListener("click", () => {
    focusAfterRemove = question.number - 1;
    hooks.onRemove(question);
  });
  return li;
}

/** Draws the guide as the server sends it. */
export function showGuide(value) {
  const questions = Array.isArray(value.questions) ? value.questions : [];
  const text = typeof value.text === "string" ? value.text : "";
  guide = { questions, text, filename: /^[\w.-]+\.txt$/.test(value.filename) ? value.filename : FILENAME };
  const list = ui["guide-list"];
  list.replaceChildren(...questions.map(item));
  list.hidden = !questions.length;
  ui["guide-empty"].hidden = questions.length > 0;
  const source = document.createElement("pre");
  source.textContent = sourceLines(text);
  ui["guide-source"].replaceChildren(source);
  if (focusAfterRemove === null) return;
  // After a removal: the next Remove button, or the heading when none is left; unless the
  // person has moved on meanwhile.
  const active = document.activeElement;
  const index = focusAfterRemove;
  focusAfterRemove = null;
  if (active && active !== document.body && !list.contains(active)) return;
  const buttons = list.querySelectorAll("button.remove");
  (buttons[Math.min(index, buttons.length - 1)] || ui["guide-heading"]).focus();
}

/** Fetches and draws the guide of a session. */
export async function refreshGuide(sessionId) {
  if (!sessionId) return;
  try {
    const answer = await fetch(`/webhooks/webchat/guide?session_id=${encodeURIComponent(sessionId)}`);
    if (answer.ok) showGuide(await answer.json());
    // 503: the conversation store is down. Keep what is shown; main.js restore() says the same.
    else if (answer.status === 503) sayStoreDown();
  } catch {
    /* offline: keep what is shown; the next reply refreshes it */
  }
}

/** Forgets the guide (a new conversation). */
export function clearGuide() {
  focusAfterRemove = null;
  waitingForEmailAnswer = false;
  ui["email-status"].textContent = ui["guide-status"].textContent = "";
  showError("");
  showGuide({});
}

function showError(reason) {
  const field = ui["guide-email"];
  ui["email-error"].textContent = reason;
  ui["email-error"].hidden = !reason;
  if (reason) {
    field.setAttribute("aria-invalid", "true");
    field.setAttribute("aria-describedby", "email-error");
  } else {
    field.removeAttribute("aria-invalid");
    field.removeAttribute("aria-describedby");
  }
}

/** Checks the address here first, so a typo is fixed in the field, not in the chat. */
function submitEmail(event) {
  event.preventDefault();
  const field = ui["guide-email"];
  const address = field.value.trim();
  let problem = "";
  if (!address) problem = "Type your email address first.";
  else if (/\s/.test(address)) problem = "An email address has no spaces. Please remove them.";
  else if (!EMAIL_SHAPE.test(address)) {
    problem = "That does not look like an email address. It should look like name@example.org.";
  }
  showError(problem);
  if (problem) {
    ui["email-status"].textContent = "";
    return field.focus();
  }
  if (!guide.questions.length) {
    ui["email-status"].textContent = "Your guide has no questions yet, so there is nothing to email.";
    return;
  }
  waitingForEmailAnswer = true;
  ui["email-status"].textContent = "Sending…";
  hooks.onEmail(address);
}

/** The assistant's reply to an email request goes to the form's status line too. */
export function takeEmailAnswer(text) {
  if (!waitingForEmailAnswer) return;
  waitingForEmailAnswer = false;
  ui["email-status"].textContent = text;
}

function download() {
  if (!guide.questions.length || !guide.text) {
    ui["guide-status"].textContent = "Your guide has no questions yet, so there is nothing to download.";
    return;
  }
  const url = URL.createObjectURL(new Blob([guide.text], { type: "text/plain;charset=utf-8" }));
  const link = document.createElement("a");
  link.href = url;
  link.download = guide.filename;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
  ui["guide-status"].textContent = `Your guide is downloading as ${guide.filename}.`;
}
