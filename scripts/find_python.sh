#!/usr/bin/env bash
# Print the path of a Python 3.10 interpreter: a working `python3.10`, else pyenv's 3.10.
# Rasa 3.6 supports Python 3.8 to 3.10 only.
set -u
if command -v python3.10 >/dev/null 2>&1 && python3.10 -c 'import sys' >/dev/null 2>&1; then
  command -v python3.10
  exit 0
fi
if command -v pyenv >/dev/null 2>&1; then
  for prefix in $(pyenv prefix 3.10 2>/dev/null) $(pyenv root 2>/dev/null)/versions/3.10*; do
    if [ -x "$prefix/bin/python3.10" ]; then
      echo "$prefix/bin/python3.10"
      exit 0
    fi
  done
fi
for candidate in /usr/bin/python3.10 /usr/local/bin/python3.10 "$HOME"/.pyenv/versions/3.10*/bin/python3.10; do
  if [ -x "$candidate" ] && "$candidate" -c 'import sys' >/dev/null 2>&1; then
    echo "$candidate"
    exit 0
  fi
done
echo "No Python 3.10 found. Rasa 3.6 needs Python 3.10: install it (for example 'pyenv install 3.10') and run make again." >&2
exit 1
