# make run   - set up everything on a fresh machine, train if needed, start the assistant
# make test  - the whole test suite (lint, unit, email, end-to-end, data validation, dialogue, NLU)
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
RASA := $(BIN)/rasa
INSTALLED := $(VENV)/.installed
MODEL := models/mbc-guide.tar.gz
TRAIN_INPUTS := config.yml domain.yml $(shell find data components -type f \( -name '*.yml' -o -name '*.py' \) 2>/dev/null)
# The web chat's browser dependency (socket.io client) comes from the npm registry, by lockfile.
WEBCHAT_DEPS := webchat/node_modules/.package-lock.json
# Floors for the independent understanding set (the issue's targets are 0.97 and 0.95; raise
# these as the figures rise, never lower them).
UNDERSTANDING_MIN_FACTS ?= 0.92
UNDERSTANDING_MIN_INTENTS ?= 0.90
export SQLALCHEMY_SILENCE_UBER_WARNING := 1
export TF_CPP_MIN_LOG_LEVEL := 2

.PHONY: help install webchat train run voice shell actions test lint unit validate test-stories test-nlu test-understanding bench data forget-old clean

help:
	@echo "make run    set up, train when data changed, and start the assistant"
	@echo "make voice  talk to it hands-free: microphone and speaker, no screen"
	@echo "make shell  chat in this terminal"
	@echo "make test   run the whole test suite"
	@echo "make bench  print the performance and accuracy figures"
	@echo "make forget-old  delete conversations quiet for RETENTION_DAYS (default 90); schedule daily"

$(INSTALLED): pyproject.toml constraints.txt
	@PYTHON=$$(scripts/find_python.sh) || exit 1; \
	if [ ! -x $(PY) ]; then echo "Creating $(VENV) with $$PYTHON"; "$$PYTHON" -m venv $(VENV); fi
	$(PY) -m pip install --quiet --upgrade pip wheel
	$(PY) -m pip install --quiet -c constraints.txt -e ".[dev]"
	@touch $@

install: $(INSTALLED)

$(WEBCHAT_DEPS): webchat/package.json webchat/package-lock.json
	@command -v npm >/dev/null 2>&1 || { echo "npm is needed for the web chat page (Debian: apt-get install nodejs npm)." >&2; exit 1; }
	cd webchat && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

webchat: $(WEBCHAT_DEPS)

$(MODEL): $(INSTALLED) $(TRAIN_INPUTS)
	$(RASA) train --fixed-model-name mbc-guide --out models --quiet
	@touch $@

train: $(MODEL)

data: $(INSTALLED)
	$(PY) scripts/generate_nlu.py

run: $(MODEL) $(WEBCHAT_DEPS)
	scripts/run.sh

# Hands-free: start the assistant, then listen on the microphone and speak the replies.
# VOICE_ARGS passes options to scripts/voice.py (devices, --wav FILE, --save-replies DIR).
# The servers stay quiet here (their logs are in logs/) so the terminal shows only the talk.
voice: $(MODEL)
	@scripts/run.sh >/dev/null 2>&1 & server=$$!; \
	trap "kill $$server 2>/dev/null; wait $$server 2>/dev/null" EXIT; \
	$(PY) scripts/voice.py --url http://127.0.0.1:$${RASA_PORT:-5005} $(VOICE_ARGS)

actions: $(INSTALLED)
	SANIC_HOST=127.0.0.1 $(PY) -m rasa_sdk --actions actions --port 5055

shell: $(MODEL)
	@endpoints=$$($(PY) scripts/endpoints.py --out .rasa/endpoints.yml) || exit 1; \
	SANIC_HOST=127.0.0.1 $(PY) -m rasa_sdk --actions actions --port 5055 >/dev/null 2>&1 & \
	trap "kill $$! 2>/dev/null" EXIT; $(RASA) shell --model $(MODEL) --endpoints "$$endpoints"

forget-old: $(INSTALLED)
	$(PY) -m stores.retention

lint: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/black --check --quiet .

unit: $(INSTALLED)
	$(BIN)/pytest -q -m "not e2e"

validate: $(INSTALLED)
	$(RASA) data validate --quiet

test-stories: $(MODEL)
	$(RASA) test core --model $(MODEL) --stories tests/test_stories.yml --e2e --fail-on-prediction-errors --out results/core

# The same-template split: a regression check only (it was drawn from the training templates).
test-nlu: $(MODEL)
	$(PY) bench/nlu_scores.py --model $(MODEL) --data tests/nlu/holdout.yml --min-f1 0.95

# The independent set (tests/understanding/, written without the training data in view): no fact
# read as its opposite, none invented, and accuracy no lower than measured when it landed.
# messages.yml and fresh_messages.yml were written blind, then used to find the reader's faults:
# they guard against regressions. The floors are the figures when each landed, less a point for
# training noise between machines.
test-understanding: $(MODEL)
	$(PY) bench/understanding.py --model $(MODEL) --gate --show 0 \
	  --min-facts $(UNDERSTANDING_MIN_FACTS) --min-intents $(UNDERSTANDING_MIN_INTENTS)
	$(PY) bench/understanding.py --model $(MODEL) --gate --show 0 \
	  --data tests/understanding/fresh_messages.yml --min-facts 0.83 --min-intents 0.86

test: lint unit validate $(MODEL) $(WEBCHAT_DEPS)
	$(BIN)/pytest -q -m e2e
	$(MAKE) --no-print-directory test-stories
	$(MAKE) --no-print-directory test-nlu
	$(MAKE) --no-print-directory test-understanding

bench: $(MODEL) $(WEBCHAT_DEPS)
	$(PY) bench/run_all.py

clean:
	rm -rf models results .pytest_cache logs outbox
