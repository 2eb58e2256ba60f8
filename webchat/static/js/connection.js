/**
 * The socket.io link to Rasa's socketio channel, the session id kept on this device, and the
 * connection state in the status line.
 * @module connection
 */
import { say, sayConnection } from "./status.js";

const KEY = "mbc.session_id";
const CONNECTED = "Connected.";
const LOST = "Connection lost. Trying again. Messages you send will go when it is back.";

/** localStorage can be blocked: then the conversation lasts as long as the page. */
function storage(action) {
  try {
    return action(localStorage);
  } catch {
    return null;
  }
}

/** The session id kept on this device, or null. */
export function storedSessionId() {
  const id = storage((s) => s.getItem(KEY));
  return id && /^[A-Za-z0-9_.:@-]{1,128}$/.test(id) ? id : null;
}

/**
 * Opens the socket and keeps the session.
 * @param {{onMessage: (m: object) => void, onSession: (isNew: boolean) => void,
 *   hasHistory: () => boolean}} hooks onSession after each confirm; isNew: nothing said yet,
 *   so the page asks for the welcome
 */
export function connect({ onMessage, onSession, hasHistory }) {
  let sessionId = storedSessionId();
  let confirmed = false;
  /** Sent only after the confirm: before it the socket is not in the session's room yet. */
  const waiting = [];
  const emit = (message) => socket.emit("user_uttered", { message, session_id: sessionId });

  sayConnection("Connecting…");
  const socket = window.io({ path: "/socket.io", transports: ["websocket", "polling"] });
  socket.on("connect", () => {
    confirmed = false;
    sayConnection(CONNECTED);
    socket.emit("session_request", { session_id: sessionId });
  });
  socket.on("session_confirm", (id) => {
    if (typeof id !== "string" || !id) return;
    const isNew = id !== sessionId || !hasHistory();
    sessionId = id;
    storage((s) => s.setItem(KEY, id));
    confirmed = true;
    onSession(isNew);
    while (waiting.length) emit(waiting.shift());
  });
  socket.on("bot_uttered", (message) => message && typeof message === "object" && onMessage(message));
  // Over the server's per-conversation message limit: the message was not taken in.
  socket.on("rate_limited", (info) => {
    const seconds = Math.max(1, Math.ceil(Number(info && info.retry_after) || 1));
    say(`That was too many messages at once, so I missed the last one. Please wait ${seconds} seconds, then send it again.`);
  });
  socket.on("disconnect", () => sayConnection(socket.active ? LOST : "Connecting…"));
  socket.on("connect_error", () => sayConnection(LOST));

  return {
    sessionId: () => sessionId,

    /** Sends a text or payload now, or as soon as the session is back. */
    send(message) {
      if (confirmed && socket.connected) emit(message);
      else waiting.push(message);
    },

    /** Forgets this device's session and starts anew; a new socket leaves the old room. */
    restart() {
      storage((s) => s.removeItem(KEY));
      sessionId = null;
      confirmed = false;
      waiting.length = 0;
      socket.disconnect().connect();
    },
  };
}
