/**
 * The status line (role="status"): connection, listening, speech errors. Messages are
 * announced by the log itself, not here.
 * @module status
 */

let region = null;
let connection = "Connecting…";

export const initStatus = (element) => (region = element);

/** Says something; it stays until the next thing is said. */
export function say(text) {
  if (region.textContent !== text) region.textContent = text;
}

/** Says the connection state and keeps it, for `ready()`. */
export function sayConnection(text) {
  say((connection = text));
}

/** Back to the connection state, once a speech turn is over. */
export const ready = () => say(connection);

/** The conversation store is down (a 503): what is shown stays, nothing is lost. */
export const sayStoreDown = () =>
  say("Your saved conversation can't be shown right now. Please reload in a minute.");
