"""Run the PBX on its own: `python -m pbx_core [--port 5060] [--no-media]`.

Demo directory (1001-1010, password `pw` + extension; 7001-7003 from 127.0.0.1), a private
rtpengine, prompts generated on first start, and `StandaloneRinger` for the call-center
numbers. Ctrl-C stops everything it started.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
from pathlib import Path

from common.dependencies import exit_unless_patched_versions
from pbx_core.config import PbxConfig, RtpengineAddress
from pbx_core.directory import demo_directory
from pbx_core.edge.kamailio import host_and_port
from pbx_core.media.prompts import generate_all
from pbx_core.media.rtpengine_process import RtpengineProcess, free_udp_port, start_rtpengine
from pbx_core.service import PbxService
from pbx_core.standalone_ringer import StandaloneRinger


async def run(args: argparse.Namespace) -> None:
    var = Path(args.var)
    rtpengine: RtpengineProcess | None = None
    media: RtpengineAddress | None = None
    dtmf_port: int | None = None
    if not args.no_media:
        generate_all(var / "prompts")
        dtmf_port = free_udp_port(args.host)
        rtpengine = start_rtpengine(
            var / "rtpengine",
            host=args.host,
            recording_dir=var / "recordings",
            dtmf_log_port=dtmf_port,
        )
        media = RtpengineAddress(rtpengine.host, rtpengine.ng_port)
    config = PbxConfig(
        sip_host=args.host,
        sip_port=args.port,
        redis_url=args.redis_url,
        key_prefix=args.key_prefix,
        rtpengine=media,
        prompts_dir=var / "prompts",
        recordings_dir=var / "recordings" if media else None,
        dtmf_listen_port=dtmf_port,
        edge_proxies=tuple(args.edge),
    )
    pbx = PbxService(config, demo_directory())
    pbx.register_handler(StandaloneRinger(pbx.send))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        await pbx.start()
        logging.info("PBX listening on %s:%d (SIP/UDP)", args.host, args.port)
        await stop.wait()
    finally:
        with contextlib.suppress(Exception):
            await pbx.stop()
        if rtpengine is not None:
            rtpengine.stop()


def main() -> None:
    exit_unless_patched_versions()
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5060)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--key-prefix", default="pbx:")
    parser.add_argument("--var", default="var", help="prompts, rtpengine and recordings")
    parser.add_argument("--no-media", action="store_true", help="no rtpengine: SDP pass-through")
    parser.add_argument(
        "--edge",
        type=host_and_port,
        action="append",
        default=[],
        metavar="HOST:PORT",
        help="the Kamailio this node sits behind (repeatable; docs/deploy.md)",
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
