/**
 * Talking: MediaRecorder records, an AnalyserNode hears the pause that ends a turn, the clip goes
 * to this server's speech channel and the spoken answer is played. No Web Speech API: Chrome
 * would send the voice to a third party.
 * @module speech
 */
import { say, ready } from "./status.js";
import { enqueue, stop as stopPlayback, wavUrl } from "./player.js";

const HOLD_MS = 400; // held longer: push-to-talk, letting go sends
const QUIET_MS = 1500; // quiet after speech that sends (hands-free)
const NO_SPEECH_MS = 10000; // nothing heard: stop without sending
const MAX_MS = 55000; // the server takes at most 60 s
const STEP_MS = 50;
const TYPES = ["audio/webm;codecs=opus", "audio/ogg;codecs=opus", "audio/webm", "audio/mp4"];
const TYPE_INSTEAD = " You can still type.";
const UNSUPPORTED = "Speaking is not available in this browser." + TYPE_INSTEAD;
const MIC_PROBLEMS = {
  NotAllowedError: "The microphone is not allowed for this page. Allow it in the browser's site settings to speak.",
  NotFoundError: "No microphone was found.",
  NotReadableError: "The microphone is busy in another program.",
};

let hooks, button, stream, recorder, watcher, audioContext;
/** idle → starting → recording → stopping → sending → idle */
let state = "idle";
/** "toggle": a pause sends; "hold": only letting go sends */
let mode = "toggle";
let chunks = [];
let startedAt = 0;
let sendOnStop = true;
let stopReason = "";
/** Bumped by Escape and each send: an older reply must not start listening again. */
let turn = 0;
// A press (pointer or Alt+S) that started recording, and when.
let pressedAt = 0;
let pressStarted = false;
let holdTimer = null;
let ignoreClick = false;
let altSDown = false;

/** Whether the microphone is on (replies are then not read aloud over the person). */
export const listening = () => state === "starting" || state === "recording";

export const speechSupported = () =>
  Boolean(navigator.mediaDevices && navigator.mediaDevices.getUserMedia && window.MediaRecorder);

function setButton(on) {
  button.setAttribute("aria-pressed", String(on));
  button.textContent = on ? "Stop and send" : "Speak";
}

function releaseMicrophone() {
  if (stream) for (const track of stream.getTracks()) track.stop();
  stream = null;
}

/** Starts recording at once (no word is lost to a delay). @param {"toggle"|"hold"} how */
export async function startListening(how = "toggle") {
  if (state !== "idle" && state !== "sending") return;
  if (!speechSupported()) return say(UNSUPPORTED);
  stopPlayback();
  mode = how;
  state = "starting";
  setButton(true);
  try {
    stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    if (state !== "starting") return releaseMicrophone(); // Escape while the browser asked
    const type = TYPES.find((t) => MediaRecorder.isTypeSupported && MediaRecorder.isTypeSupported(t));
    recorder = new MediaRecorder(stream, type ? { mimeType: type } : undefined);
  } catch (error) {
    releaseMicrophone();
    state = "idle";
    setButton(false);
    return say((MIC_PROBLEMS[error && error.name] || "The microphone could not start.") + TYPE_INSTEAD);
  }
  chunks = [];
  recorder.addEventListener("dataavailable", (e) => e.data && e.data.size && chunks.push(e.data));
  recorder.addEventListener("stop", finished);
  recorder.start(250);
  startedAt = performance.now();
  state = "recording";
  say("Listening…");
  watchLevel();
}

/** Stops recording. @param {boolean} send post it (false: Escape, nothing heard) */
export function stopListening(send, reason = "Stopped listening. Nothing was sent.") {
  if (state === "starting") {
    state = "idle";
    setButton(false);
    return send || say(reason);
  }
  if (state !== "recording") return;
  state = "stopping";
  sendOnStop = send;
  stopReason = reason;
  clearInterval(watcher);
  recorder.stop();
}

/** The recorder has handed over its last piece: post it, or drop it. */
function finished() {
  const blob = new Blob(chunks, { type: recorder.mimeType || "audio/webm" });
  const length = performance.now() - startedAt;
  chunks = [];
  recorder = null;
  releaseMicrophone();
  setButton(false);
  state = "idle";
  if (!sendOnStop) say(stopReason);
  else if (length < 300 || !blob.size) say("That was too short to hear. Nothing was sent.");
  else send(blob);
}

/**
 * Hands-free end of a turn: speech is a level well above the room's own (learnt as it goes);
 * after speech, QUIET_MS of quiet sends. Not while the button is held: letting go sends then.
 */
function watchLevel() {
  let analyser = null;
  try {
    audioContext = audioContext || new AudioContext();
    if (audioContext.state !== "running") audioContext.resume().catch(() => {});
    analyser = audioContext.createAnalyser();
    audioContext.createMediaStreamSource(stream).connect(analyser);
  } catch {
    /* no level to watch: the person stops by hand */
  }
  const samples = new Float32Array(2048);
  let floor = 0.003;
  let loud = 0;
  let quiet = 0;
  let heard = false;
  watcher = setInterval(() => {
    const elapsed = performance.now() - startedAt;
    if (elapsed >= MAX_MS) return stopListening(true);
    if (!analyser || audioContext.state !== "running" || mode === "hold") return;
    analyser.getFloatTimeDomainData(samples);
    let sum = 0;
    for (const s of samples) sum += s * s;
    const level = Math.sqrt(sum / samples.length);
    const threshold = Math.min(0.1, Math.max(0.012, floor * 4));
    if (level > threshold) {
      loud += STEP_MS;
      quiet = 0;
      heard = heard || loud >= 150;
    } else {
      loud = Math.max(0, loud - STEP_MS);
      if (level < threshold * 0.7) quiet += STEP_MS;
      floor = level < floor ? level : floor + (level - floor) * 0.05;
    }
    if (heard && quiet >= QUIET_MS) stopListening(true);
    else if (!heard && elapsed >= NO_SPEECH_MS) {
      stopListening(false, "I did not hear anything, so I stopped listening.");
    }
  }, STEP_MS);
}

/** Posts a recording, hands the answer on, plays it, and listens again when asked to. */
async function send(blob) {
  const id = hooks.sessionId();
  if (!id) return say("Still connecting to the assistant. Please try again in a moment.");
  state = "sending";
  const mine = ++turn;
  say("Sending your words…");
  let answer;
  try {
    const url = `/webhooks/voice/webhook?sender=${encodeURIComponent(id)}&rate=${hooks.rate()}`;
    const response = await fetch(url, { method: "POST", body: blob, headers: { "Content-Type": blob.type } });
    answer = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(answer.error || "The assistant could not take your words just now.");
  } catch (error) {
    if (state === "sending") state = "idle";
    const reason = error instanceof TypeError ? "The assistant cannot be reached." : error.message;
    return say(`${reason} Please try again, or type.`);
  }
  const again = state !== "sending"; // the person is speaking again: do not talk over them
  if (!again) state = "idle";
  const audio = answer.audio ? wavUrl(answer.audio) : null;
  if (!(answer.transcript || "").trim()) say("I didn't hear anything.");
  else if (!again) ready();
  hooks.onAnswer(answer, audio);
  if (again || mine !== turn) return; // Escape since: stay quiet
  if (audio) await enqueue(audio);
  if (answer.end) say("Stopped listening.");
  else if (hooks.keepListening() && mine === turn && state === "idle") startListening();
}

/** Escape: stop recording without sending, stop playback, no listening loop for this turn. */
export function cancel() {
  turn += 1;
  const was = listening();
  stopListening(false);
  stopPlayback();
  return was;
}

/** A press begins (pointer or Alt+S down). */
function press() {
  pressStarted = !listening(); // when on, this press is the one that stops it
  if (!pressStarted) return;
  pressedAt = performance.now();
  startListening();
  clearTimeout(holdTimer);
  holdTimer = setTimeout(() => pressStarted && (mode = "hold"), HOLD_MS);
}

/** A press ends: a long one sends (push-to-talk); a short one leaves it on (a tap). */
function release(stopIfTap) {
  clearTimeout(holdTimer);
  if (!pressStarted) return stopIfTap && stopListening(true);
  pressStarted = false;
  if (performance.now() - pressedAt >= HOLD_MS && state === "recording") stopListening(true);
  mode = "toggle";
}

/** @param {HTMLButtonElement} speakButton @param {HTMLElement} hint */
export function initSpeech(speakButton, hint, handlers) {
  button = speakButton;
  hooks = handlers;
  if (!speechSupported()) hint.textContent = UNSUPPORTED;
  button.addEventListener("pointerdown", (event) => {
    if (event.button !== 0) return;
    ignoreClick = true; // the click after this press is handled here
    button.setPointerCapture(event.pointerId);
    press();
  });
  const up = () => {
    if (!ignoreClick) return;
    release(true);
    setTimeout(() => (ignoreClick = false));
  };
  button.addEventListener("pointerup", up);
  button.addEventListener("pointercancel", up);
  button.addEventListener("contextmenu", (event) => event.preventDefault());
  // Enter and Space arrive as a click: a plain toggle.
  button.addEventListener("click", () => {
    if (ignoreClick) return;
    if (listening()) stopListening(true);
    else startListening();
  });
  document.addEventListener("keydown", (event) => {
    if (event.altKey && event.code === "KeyS" && !event.ctrlKey && !event.metaKey) {
      event.preventDefault();
      if (!altSDown) press();
      altSDown = true;
    } else if (event.key === "Escape" && cancel()) {
      event.preventDefault();
    }
  });
  document.addEventListener("keyup", (event) => {
    if (altSDown && (event.code === "KeyS" || event.key === "Alt")) {
      altSDown = false;
      event.preventDefault();
      release(true);
    }
  });
  window.addEventListener("blur", () => altSDown && release((altSDown = false)));
}
