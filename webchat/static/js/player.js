/**
 * Plays the assistant's voice, one clip after another. Every clip is a WAV from this server,
 * never the browser's speech engine (which can send the words elsewhere).
 * @module player
 */
import { say } from "./status.js";

let current = null;
let finishCurrent = null;
/** Bumped by stop(): clips queued before it are skipped. */
let generation = 0;
/** The end of the queue: each clip starts when the one before has finished. */
let queue = Promise.resolve();

/** A base64 WAV (a spoken reply) as an object URL. */
export function wavUrl(base64) {
  const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  return URL.createObjectURL(new Blob([bytes], { type: "audio/wav" }));
}

/** Asks the server to read `text` aloud: an object URL of the WAV, or null (and says why). */
export async function speakUrl(text, rate) {
  try {
    const answer = await fetch("/webhooks/voice/speak", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ text: text.slice(0, 4000), rate: Number(rate) || 100 }),
    });
    if (answer.ok) return URL.createObjectURL(await answer.blob());
    say((await answer.json().catch(() => ({}))).error || "This message could not be read aloud just now.");
  } catch {
    say("This message could not be read aloud: the assistant cannot be reached.");
  }
  return null;
}

/** Plays one clip; settles when it ends, fails or is stopped. */
function play(url) {
  return new Promise((resolve) => {
    const audio = (current = new Audio(url));
    const done = (finishCurrent = () => {
      if (current === audio) current = finishCurrent = null;
      resolve();
    });
    audio.addEventListener("ended", done);
    audio.addEventListener("error", done);
    audio.play().catch(() => {
      say("The browser did not let the page play sound. Press Play on a message to hear it.");
      done();
    });
  });
}

/**
 * Queues a clip (an object URL, or a promise of one) so replies are heard in order.
 * @returns {Promise<void>} settles when it has played or was skipped
 */
export function enqueue(clip) {
  const mine = generation;
  return (queue = queue.then(async () => {
    const url = await clip;
    if (url && mine === generation) await play(url);
  }));
}

/** Stops what plays and drops what is queued (Escape, recording, another Play). */
export function stop() {
  generation += 1;
  queue = Promise.resolve(); // new clips need not wait for skipped ones still loading
  if (current) current.pause();
  if (finishCurrent) finishCurrent();
}

/**
 * A message's Play button: the sound it came with, else the server's, kept for next time.
 * @param {{text: string, audio: (string|null), rate?: string}} spoken
 */
export async function playMessage(spoken, rate) {
  stop();
  const mine = generation;
  if (!spoken.audio || (spoken.rate && spoken.rate !== rate)) {
    const url = await speakUrl(spoken.text, rate);
    if (url) Object.assign(spoken, { audio: url, rate });
  }
  if (spoken.audio && mine === generation) await enqueue(spoken.audio);
}
