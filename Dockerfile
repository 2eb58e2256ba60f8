# The project image: one image for the Rasa server and the action server (deploy/kubernetes/
# runs it with two different commands). Train first, on the machine that builds the image:
#   make train && docker build -t mbc-treatment-guide:0.1.0 .
# The model is copied in, never trained in the image, so every replica answers the same way.

# The web chat's socket.io client comes from the npm registry, by lockfile, as in `make run`.
FROM node:20-bookworm-slim AS webchat
WORKDIR /webchat
COPY webchat/package.json webchat/package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error

FROM python:3.10-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    SQLALCHEMY_SILENCE_UBER_WARNING=1 TF_CPP_MIN_LOG_LEVEL=2
# espeak-ng is the speech channel's fallback voice.
RUN apt-get update \
    && apt-get install -y --no-install-recommends espeak-ng \
    && rm -rf /var/lib/apt/lists/*
RUN useradd --create-home --uid 1000 guide
WORKDIR /app
COPY --chown=guide:guide . .
COPY --from=webchat --chown=guide:guide /webchat/node_modules webchat/node_modules
# Editable, like `make install`: channels/webchat.py serves files next to the source tree.
RUN pip install --upgrade pip wheel && pip install -c constraints.txt -e . \
    && test -f models/mbc-guide.tar.gz
USER guide
EXPOSE 5005 5055
# The Rasa server by default (through scripts/rasa_server.py, which turns Rasa's HTTP API on only
# when RASA_API_TOKEN is set, without putting the token on a command line); the action server's
# Deployment runs `python -m rasa_sdk` instead.
CMD ["python", "scripts/rasa_server.py", "--model", "models/mbc-guide.tar.gz", "--port", "5005", \
     "--credentials", "credentials.yml", "--endpoints", "/etc/mbc-guide/endpoints.yml"]
