"""Start ``rasa run`` with Rasa's HTTP API behind a token that never appears on a command line.

Rasa 3.6 takes the API token only as ``--auth-token`` on its command line, where every account
on the machine can read it (``ps``, ``/proc/*/cmdline``). This launcher is started with the
same arguments as ``rasa run``, minus the token: it reads ``RASA_API_TOKEN`` from the
environment (which only the same account can read) and, when it is set, adds ``--enable-api``
and ``--auth-token`` to its own ``sys.argv`` before handing over to Rasa's command line, in the
same process. The kernel's copy of the command line is not changed by that, so the token is
not in it. With no token the API stays off, as before.

    RASA_API_TOKEN=... .venv/bin/python scripts/rasa_server.py --model m.tar.gz --port 5005 ...
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence


def rasa_arguments(args: Sequence[str], env: Mapping[str, str]) -> list[str]:
    """``rasa run`` with ``args``, and the API behind the token when ``RASA_API_TOKEN`` is set."""
    if any(arg == "--auth-token" or arg.startswith("--auth-token=") for arg in args):
        raise SystemExit("Give the API token in RASA_API_TOKEN, not on the command line.")
    token = (env.get("RASA_API_TOKEN") or "").strip()
    api = ["--enable-api", "--auth-token", token] if token else []
    return ["rasa", "run", *args, *api]


def main() -> None:
    """Replace ``sys.argv`` in this process and run Rasa's own command line."""
    sys.argv = rasa_arguments(sys.argv[1:], os.environ)
    from rasa.__main__ import main as rasa_main

    rasa_main()


if __name__ == "__main__":
    main()
