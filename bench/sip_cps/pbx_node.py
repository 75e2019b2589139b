"""The PBX under test: one `PbxService` with the demo directory, the callee's binding (1002)
written straight into the location store, and a handler for call-center numbers:
- `none`: none (extension-to-extension runs),
- `moh`: every caller is answered and hears music on hold (the waiters run),
- `queue`: answer, ring 1002, bridge when it answers (trunk -> queue -> agent runs).

Run: `python -m bench.sip_cps.pbx_node --port P --callee-port C --prefix X [--ng-port N]
[--prompts DIR] [--handler none|moh|queue] [--carrier-port P] [--edge HOST:PORT]`; prints READY
when listening.
With `--carrier-port` numbers that are no extension go to a digest carrier trunk there.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
from collections.abc import Callable
from pathlib import Path

from pbx_core import call_control as cc
from pbx_core.config import PbxConfig, RtpengineAddress
from pbx_core.directory import demo_directory
from pbx_core.edge.kamailio import host_and_port
from pbx_core.location import Binding
from pbx_core.service import PbxService
from pbx_core.sip.stack import COUNTERS
from pbx_core.trunks.routing import Carrier, DirectNumber, TrunkRouting


def waiting_room(pbx: PbxService) -> Callable[[cc.CallEvent], None]:
    def on_event(event: cc.CallEvent) -> None:
        if isinstance(event, cc.CallOffered):
            pbx.send(cc.Answer(event.call_id))
            pbx.send(cc.StartMusicOnHold(event.call_id))

    return on_event


def straight_to_agent(pbx: PbxService) -> Callable[[cc.CallEvent], None]:
    def on_event(event: cc.CallEvent) -> None:
        if isinstance(event, cc.CallOffered):
            pbx.send(cc.Answer(event.call_id))
            pbx.send(cc.OfferCall(event.call_id, f"{event.call_id}/a", "1002", 10))
        elif isinstance(event, cc.CallAnswered) and event.leg_id:
            pbx.send(cc.Bridge(event.call_id, event.leg_id))

    return on_event


HANDLERS = {"moh": waiting_room, "queue": straight_to_agent}


def bench_trunks(carrier_port: int) -> TrunkRouting:
    """1001's direct number and one carrier trunk with digest credentials (bench/trunk_cps.py)."""
    trunk = Carrier("127.0.0.1", carrier_port, "acct", "secret")
    return TrunkRouting.of(
        None, [DirectNumber("+31201230001", "demo", "1001")], tenant_carriers={"demo": (trunk,)}
    )


async def run(args: argparse.Namespace) -> None:
    media = RtpengineAddress("127.0.0.1", args.ng_port) if args.ng_port else None
    # One SIPp UAS stands for as many phones as there are calls: no busy limit.
    config = PbxConfig(
        sip_port=args.port,
        key_prefix=args.prefix,
        rtpengine=media,
        max_calls_per_extension=0,
        prompts_dir=Path(args.prompts),
        edge_proxies=tuple(args.edge),
    )
    pbx = PbxService(config, demo_directory())
    if args.handler in HANDLERS:
        pbx.register_handler(HANDLERS[args.handler](pbx))
    pbx.locations.save(
        Binding(
            "1002", f"sip:1002@127.0.0.1:{args.callee_port}", "127.0.0.1", args.callee_port, 3600
        )
    )
    if args.carrier_port:
        await pbx.update_trunks(bench_trunks(args.carrier_port))
    await pbx.start()
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    print("READY", flush=True)
    await stop.wait()
    await pbx.stop()
    print(f"MESSAGES received={COUNTERS.received} sent={COUNTERS.sent}", flush=True)
    pbx.locations.clear()


def main() -> None:
    # With a level in every line the benchmark can show warnings (rtpengine not answering,
    # Redis gone) next to failed calls.
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--callee-port", type=int, default=9)
    parser.add_argument("--prefix", required=True)
    parser.add_argument("--ng-port", type=int, default=0)
    parser.add_argument("--prompts", default="var/prompts")
    parser.add_argument("--handler", choices=["none", *HANDLERS], default="none")
    parser.add_argument("--carrier-port", type=int, default=0, help="a digest carrier trunk")
    parser.add_argument("--edge", type=host_and_port, action="append", default=[],
                        help="behind this Kamailio (bench/kamailio_scale.py)")  # fmt: skip
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
