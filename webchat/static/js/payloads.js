/**
 * Payloads the page sends, and the words they are shown as: a person reads words, never
 * intent names.
 * @module payloads
 */

const REMOVE = "/guide_remove";
const EMAIL = "/email_guide";
/** The "Delete my conversation" button: the assistant then asks for a yes or no. */
export const FORGET_PAYLOAD = "/forget_me";
export const FORGET_WORDS = "Delete what I told you";

export const removePayload = (question) => REMOVE + JSON.stringify({ guide_question: question });
export const emailPayload = (address) => EMAIL + JSON.stringify({ email: address });
export const removeWords = (question) => `Remove from my guide: ${question}`;
export const emailWords = (address) => `Email my guide to ${address}`;

/** The JSON after an intent name, or {} when there is none. */
function entities(text, intent) {
  try {
    return text.startsWith(intent + "{") ? JSON.parse(text.slice(intent.length)) || {} : {};
  } catch {
    return {};
  }
}

/**
 * A stored user text as words, or null to hide it. "/..." was never typed: it is a choice's
 * title (from the choices offered before it), one of the page's own payloads, or hidden
 * (/session_start and the like).
 * @param {string} text @param {Map<string, string>} titles payload → title
 */
export function wordsFor(text, titles) {
  if (!text.startsWith("/")) return text;
  if (titles.has(text)) return titles.get(text);
  if (text === FORGET_PAYLOAD) return FORGET_WORDS;
  const removed = entities(text, REMOVE).guide_question;
  if (typeof removed === "string") return removeWords(removed);
  const address = entities(text, EMAIL).email;
  return typeof address === "string" ? emailWords(address) : null;
}
