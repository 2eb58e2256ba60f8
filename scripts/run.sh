#!/usr/bin/env bash
# Start the action server (127.0.0.1 only) and the Rasa server, and say where to chat.
# Runs in the foreground without needing a terminal; Ctrl-C or SIGTERM stops both servers.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV_BIN=${VENV_BIN:-.venv/bin}
RASA_PORT=${RASA_PORT:-5005}
ACTION_PORT=${ACTION_PORT:-5055}
MODEL=${MODEL:-models/mbc-guide.tar.gz}
LOG_DIR=${LOG_DIR:-logs}
mkdir -p "$LOG_DIR"
export SQLALCHEMY_SILENCE_UBER_WARNING=1 TF_CPP_MIN_LOG_LEVEL=2

# The tracker store and lock store come from the environment (TRACKER_STORE, LOCK_STORE, DB_*,
# REDIS_*; see the README): endpoints.yml can't switch store types, so a small generator writes
# .rasa/endpoints.yml. With none of them set it is SQLite and an in-memory lock, as before.
# ENDPOINTS=file uses that file as it is.
if [[ -z "${ENDPOINTS:-}" ]]; then
  ENDPOINTS=$(ACTION_PORT="$ACTION_PORT" "$VENV_BIN/python" scripts/endpoints.py --out .rasa/endpoints.yml)
fi

pids=()
stop() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap stop EXIT INT TERM

SANIC_HOST=127.0.0.1 "$VENV_BIN/python" -m rasa_sdk --actions actions --port "$ACTION_PORT" \
  >"$LOG_DIR/actions.log" 2>&1 &
pids+=($!)

# Rasa's HTTP API (trackers, model, events) stays off unless RASA_API_TOKEN is set: then it is on
# and every call needs ?token=... (the channels under /webhooks/ check their own requests).
# The token comes from the environment or .env, like every other secret, and is handed to Rasa
# inside its process (scripts/rasa_server.py), so it never shows in the process list.
RASA_API_TOKEN=${RASA_API_TOKEN:-$("$VENV_BIN/python" -c \
  'from actions.environment import settings; print(settings().get("RASA_API_TOKEN", ""))')}
export RASA_API_TOKEN

"$VENV_BIN/python" scripts/rasa_server.py --model "$MODEL" --port "$RASA_PORT" \
  --credentials credentials.yml --endpoints "$ENDPOINTS" --log-file "$LOG_DIR/rasa.log" &
pids+=($!)

for _ in $(seq 1 180); do
  if curl -fsS "http://127.0.0.1:$RASA_PORT/" >/dev/null 2>&1 \
    && curl -fsS "http://127.0.0.1:$ACTION_PORT/health" >/dev/null 2>&1; then
    cat <<MSG

The assistant is running.
  Web chat (typing, speaking, your doctor guide): http://localhost:$RASA_PORT/webhooks/webchat/
  Chat over REST:  curl -s -X POST http://localhost:$RASA_PORT/webhooks/rest/webhook \\
                     -H 'Content-Type: application/json' -d '{"sender": "me", "message": "hi"}'
  Chat in a terminal: make shell
  Smart speaker (Alexa): POST http://localhost:$RASA_PORT/webhooks/alexa/webhook
                     (set ALEXA_SKILL_ID; see skill-package/README.md)
  Offline speech:  POST a WAV to http://localhost:$RASA_PORT/webhooks/voice/webhook?sender=me
  Hands-free, no screen: .venv/bin/python scripts/voice.py in another terminal
                     (microphone and speaker; or use make voice instead of make run)
  Logs: $LOG_DIR/rasa.log and $LOG_DIR/actions.log. Stop with Ctrl-C.
MSG
    break
  fi
  for pid in "${pids[@]}"; do
    kill -0 "$pid" 2>/dev/null || { echo "A server stopped while starting; see $LOG_DIR/." >&2; exit 1; }
  done
  sleep 1
done
wait -n "${pids[@]}"
