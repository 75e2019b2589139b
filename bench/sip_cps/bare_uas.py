"""The baseline: a bare sippy UAS that answers every INVITE (200 with SDP) and every BYE.

Same reactor, same thread model and the same traps handled as the PBX (it reuses
`pbx_core.sip.stack.SipThread`), but no registrar, no B2BUA, no second leg, no Redis.
Run: `python -m bench.sip_cps.bare_uas PORT`; prints READY when listening.
"""

from __future__ import annotations

import signal
import sys
import threading
from typing import Any

from sippy.CCEvents import CCEventConnect, CCEventTry
from sippy.Core.EventDispatcher import ED2
from sippy.MsgBody import MsgBody
from sippy.UA import UA

from pbx_core.sip.sdp import PLACEHOLDER_SDP
from pbx_core.sip.stack import COUNTERS, SipThread


def build_handler(global_config: dict[str, Any]) -> Any:
    def answer(ua: Any) -> None:
        ua.recvEvent(CCEventConnect((200, "OK", MsgBody(PLACEHOLDER_SDP))))

    def on_event(event: Any, ua: Any) -> None:
        if isinstance(event, CCEventTry):
            ED2.callFromThread(answer, ua)  # next tick: 100 Trying goes out first

    def on_request(req: Any, sip_t: Any) -> Any:
        if req.getMethod() == "INVITE" and req.getHFBody("to").getTag() is None:
            return UA(global_config, event_cb=on_event).recvRequest(req, sip_t)
        return (req.genResponse(481, "Call/Transaction Does Not Exist"), None, None)

    return on_request


def main() -> None:
    port = int(sys.argv[1])
    stack = SipThread("127.0.0.1", port, build_handler, user_agent="bare-sippy-uas")
    stack.start()
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    print("READY", flush=True)
    done.wait()
    stack.stop()
    print(f"MESSAGES received={COUNTERS.received} sent={COUNTERS.sent}", flush=True)


if __name__ == "__main__":
    main()
