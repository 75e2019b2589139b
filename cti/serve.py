"""Run the CTI web server on its own: `python -m cti.serve [--host H] [--port P]`, or with
several workers: `uvicorn --factory cti.serve:app_from_env --workers 2 --port 8000
--ws-per-message-deflate false` (see `WEB_SERVER_OPTIONS`).

Settings come from the environment (`CtiSettings.from_env`). Without an engine runtime in this
process, queries and subscriptions work from Redis and call-center commands are relayed to the
node running the tenant's engine (docs/deploy.md, the tenant engine lease, point 9): such
processes run behind any HTTP balancer. `make demo` runs the app in the process that runs the
engine instead.
"""

from __future__ import annotations

import argparse
from typing import Any

import uvicorn
from fastapi import FastAPI

from common.dependencies import exit_unless_patched_versions
from cti.app import create_app
from cti.settings import CtiSettings

WEB_SERVER_OPTIONS: dict[str, Any] = {"ws_per_message_deflate": False}
"""No permessage-deflate on websockets: events are small JSON (a few hundred bytes) and the
server would compress each one once per subscriber; at 500 subscribers that was ~22% of the
web process's CPU (docs/cti.md, "Fan-out performance"), for little saved on a LAN."""


def app_from_env() -> FastAPI:
    """App factory for `uvicorn --factory` (each worker builds its own app)."""
    return create_app(CtiSettings.from_env(relay_commands=True))


def main() -> None:
    exit_unless_patched_versions()
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args()
    uvicorn.run(app_from_env(), host=args.host, port=args.port, **WEB_SERVER_OPTIONS)


if __name__ == "__main__":
    main()
