"""Kamailio in front of PBX nodes, in the foreground: `python -m pbx_core.edge --port 5060
--node 127.0.0.1:5071 --node 127.0.0.1:5072 [--run-dir var/kamailio]`.

Start each node with `python -m pbx_core --port 5071 --edge 127.0.0.1:5060` (same Redis and key
prefix for all: they share the location table). Ctrl-C stops Kamailio.
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
from pathlib import Path

from pbx_core.edge.kamailio import EdgeSettings, KamailioMissing, host_and_port, start_kamailio


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5060)
    parser.add_argument("--node", type=host_and_port, action="append", required=True,
                        metavar="HOST:PORT", help="a PBX node (repeatable)")  # fmt: skip
    parser.add_argument("--run-dir", default="var/kamailio", help="config, pid file, log")
    parser.add_argument("--children", type=int, default=2, help="UDP worker processes")
    args = parser.parse_args()
    try:
        settings = EdgeSettings(args.port, tuple(args.node), args.host, args.children)
        edge = start_kamailio(settings, Path(args.run_dir))
    except (ValueError, KamailioMissing, RuntimeError) as error:
        sys.exit(str(error))
    print(f"kamailio listening on {args.host}:{args.port}, log in {edge.log_path}", flush=True)
    # Only ask here: the wait below reaps it (waiting inside the handler would race that wait).
    signal.signal(signal.SIGTERM, lambda *_: edge.process.terminate())
    with contextlib.suppress(KeyboardInterrupt):
        edge.process.wait()
    edge.stop()


if __name__ == "__main__":
    main()
