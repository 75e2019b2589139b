"""The PBX under test: one `PbxService` with the demo directory, no handler needed (extension
to extension), the callee's binding written straight into the location store.

Run: `python -m bench.sip_cps.pbx_node PORT CALLEE_PORT PREFIX [RTPENGINE_NG_PORT [PROMPTS_DIR]]`;
with a prompts folder, calls to call-center numbers are answered and hear music on hold (the
waiters benchmark), as a queue would do while no agent is free.
"""

from __future__ import annotations

import asyncio
import signal
import sys
from collections.abc import Callable
from pathlib import Path

from pbx_core import call_control as cc
from pbx_core.config import PbxConfig, RtpengineAddress
from pbx_core.directory import demo_directory
from pbx_core.location import Binding
from pbx_core.service import PbxService


def waiting_room(pbx: PbxService) -> Callable[[cc.CallEvent], None]:
    def on_event(event: cc.CallEvent) -> None:
        if isinstance(event, cc.CallOffered):
            pbx.send(cc.Answer(event.call_id))
            pbx.send(cc.StartMusicOnHold(event.call_id))

    return on_event


async def run(
    port: int, callee_port: int, prefix: str, ng_port: int | None, prompts: Path | None
) -> None:
    media = RtpengineAddress("127.0.0.1", ng_port) if ng_port else None
    # One SIPp UAS stands for as many phones as there are calls: no busy limit.
    config = PbxConfig(
        sip_port=port,
        key_prefix=prefix,
        rtpengine=media,
        max_calls_per_extension=0,
        prompts_dir=prompts or Path("var/prompts"),
    )
    pbx = PbxService(config, demo_directory())
    if prompts is not None:
        pbx.register_handler(waiting_room(pbx))
    pbx.locations.save(
        Binding("1002", f"sip:1002@127.0.0.1:{callee_port}", "127.0.0.1", callee_port, 3600)
    )
    await pbx.start()
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    print("READY", flush=True)
    await stop.wait()
    await pbx.stop()
    pbx.locations.clear()


def main() -> None:
    port, callee_port, prefix = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    ng_port = int(sys.argv[4]) if len(sys.argv) > 4 else None
    prompts = Path(sys.argv[5]) if len(sys.argv) > 5 else None
    asyncio.run(run(port, callee_port, prefix, ng_port, prompts))


if __name__ == "__main__":
    main()
