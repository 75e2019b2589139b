"""Busy lamp field NOTIFY fan-out (issue 21, Performance): 100 phones each subscribed to the same
150 colleagues' dialogs (15,000 RFC 4235 subscriptions) while the colleagues' calls change state
20 times a second: every NOTIFY must arrive (0 lost); the p50/p99 from the PBX's call event to
the phone's receipt (CLOCK_MONOTONIC, shared by the processes) are printed, against a baseline
measured in the same run: one phone watching the 150 colleagues at the same rate (the NOTIFY
path without fan-out).

The PBX is the real one (`PbxService`, its SIP thread, digest auth, `Subscriptions`,
`BusyLampField`) on a free port; the phones are UDP sockets in another process (one per phase)
that subscribe with digest auth and answer every NOTIFY 200. The state changes are call events
(a trunk call rings a colleague, is answered, hangs up) handed to the SIP thread where the
B2BUA hands its own (`PbxService._emit_with_presence`), so the bench needs no media, no SIPp.

    .venv/bin/python bench/blf_fanout.py [--seconds 10] [--rate 20]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import re
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from redis import Redis  # noqa: E402
from sippy.SipAuthorization import SipAuthorization  # noqa: E402

from pbx_core import call_control as cc  # noqa: E402
from pbx_core.config import PbxConfig  # noqa: E402
from pbx_core.directory import Directory, SipUser  # noqa: E402
from pbx_core.presence.blf import EVENT  # noqa: E402
from pbx_core.service import PbxService  # noqa: E402
from tests.pbx_core.support import free_sip_port  # noqa: E402

REDIS_URL = "redis://127.0.0.1:6379/0"
PHONES = 100
LINES = 150
REALM = "opencc"
_DIALOG = re.compile(r'<dialog id="([^"]+)"[^>]*>\s*<state>(\w+)</state>')


def phone_ext(n: int) -> str:
    return str(3000 + n)


def line_ext(n: int) -> str:
    return str(5000 + n)


Receipt = tuple[str, str, float]
"""(dialog id, state, `time.monotonic()` at the phone): one dialog in one NOTIFY."""


@dataclass
class Phone(asyncio.DatagramProtocol):
    extension: str
    receipts: list[Receipt]
    transport: asyncio.DatagramTransport | None = None
    seen: set[tuple[str, str]] = field(default_factory=set)
    answers: asyncio.Queue[str] = field(default_factory=asyncio.Queue)

    def datagram_received(self, data: bytes, addr: tuple[str | int, int]) -> None:
        text = data.decode(errors="replace")
        head, _, body = text.partition("\r\n\r\n")
        if head.startswith("SIP/2.0"):
            self.answers.put_nowait(text)
            return
        if not head.startswith("NOTIFY"):
            return
        headers = head.split("\r\n")
        keep = [h for h in headers if h.split(":")[0].lower() in ("via", "from", "to", "call-id")]
        cseq = next(h for h in headers if h.lower().startswith("cseq:"))
        reply = "\r\n".join(["SIP/2.0 200 OK", *keep, cseq, "Content-Length: 0", "", ""])
        assert self.transport is not None
        self.transport.sendto(reply.encode(), addr)
        call_id = next(h for h in headers if h.lower().startswith("call-id:"))
        key = (call_id, cseq)
        if key in self.seen:
            return  # a retransmission
        self.seen.add(key)
        now = time.monotonic()
        for dialog_id, state in _DIALOG.findall(body):
            self.receipts.append((dialog_id, state, now))


def subscribe_text(phone: Phone, port: int, line: str, n: int, auth: str) -> str:
    return "\r\n".join(
        [
            f"SUBSCRIBE sip:{line}@127.0.0.1 SIP/2.0",
            f"Via: SIP/2.0/UDP 127.0.0.1:{port};branch=z9hG4bK-{phone.extension}-{n}",
            f"From: <sip:{phone.extension}@127.0.0.1>;tag=t{phone.extension}",
            f"To: <sip:{line}@127.0.0.1>",
            f"Call-ID: blf-{phone.extension}-{line}",
            f"CSeq: {n} SUBSCRIBE",
            f"Contact: <sip:{phone.extension}@127.0.0.1:{port}>",
            "Event: dialog",
            "Expires: 3600",
            *([f"Authorization: {auth}"] if auth else []),
            "Content-Length: 0",
            "",
            "",
        ]
    )


async def subscribe_all(phone: Phone, pbx_port: int, lines: list[str]) -> None:
    """Each line once, one at a time; the first 401's nonce serves every SUBSCRIBE (nc counts)."""
    assert phone.transport is not None
    port = phone.transport.get_extra_info("sockname")[1]
    nonce = ""
    n = 0
    for line in lines:
        while True:
            n += 1
            auth = ""
            if nonce:
                header = SipAuthorization(
                    username=phone.extension,
                    uri=f"sip:{line}@127.0.0.1",
                    realm=REALM,
                    nonce=nonce,
                    response=None,
                )
                header.algorithm = "MD5"
                header.qop, header.nc, header.cnonce = "auth", f"{n:08x}", "bench"
                header.genAuthResponse(f"pw{phone.extension}", "SUBSCRIBE", None)
                auth = str(header)
            text = subscribe_text(phone, port, line, n, auth)
            phone.transport.sendto(text.encode(), ("127.0.0.1", pbx_port))
            answer = await asyncio.wait_for(phone.answers.get(), 10)
            if answer.startswith("SIP/2.0 200"):
                break
            if not answer.startswith("SIP/2.0 401"):
                raise RuntimeError(f"{phone.extension} -> {line}: {answer.splitlines()[0]}")
            found = re.search(r'nonce="([^"]+)"', answer)
            assert found is not None
            nonce = found.group(1)


async def drive(
    pbx: PbxService, sent_at: dict[tuple[str, str], float], rate: float, seconds: float
) -> int:
    """About `rate` state changes a second for `seconds` over the lines in turn, every call
    ended; returns how many."""
    stack = pbx._stack
    assert stack is not None
    # Whole calls (ring, answer, hang up): a call left open would add its dialog to the next
    # phase's NOTIFYs of that line.
    changes = 3 * max(1, round(rate * seconds / 3))
    start = time.monotonic()
    run = uuid.uuid4().hex[:6]
    for k in range(changes):
        call, step = divmod(k, 3)
        line = line_ext(call % LINES)
        call_id = f"bench-{run}-{call}"
        leg_id = f"{call_id}~1"
        events: list[cc.CallEvent]
        if step == 0:
            offered = cc.CallOffered(call_id, "+31201234567", line, cc.CallSource.TRUNK)
            events, state = [offered, cc.CallRinging(call_id, leg_id, line)], "early"
        elif step == 1:
            events, state = [cc.CallAnswered(call_id, leg_id, line)], "confirmed"
        else:
            events, state = [cc.CallHungUp(call_id, cc.HangupSide.CALLER)], "terminated"
        await asyncio.sleep(max(0.0, start + k / rate - time.monotonic()))
        sent_at[(leg_id, state)] = time.monotonic()
        for event in events:
            stack.call(pbx._emit_with_presence, event, None)
    return changes


def phones_process(extensions: list[str], pbx_port: int, conn: Connection) -> None:
    """The phones, in a process of their own (as phones are: not sharing the PBX's GIL): they
    subscribe, say "ready", and after "stop" send back every receipt."""
    asyncio.run(_phones(extensions, pbx_port, conn))


async def _phones(extensions: list[str], pbx_port: int, conn: Connection) -> None:
    loop = asyncio.get_running_loop()
    receipts: list[Receipt] = []
    phones = []
    for extension in extensions:
        phone = Phone(extension, receipts)
        phone.transport, _ = await loop.create_datagram_endpoint(
            lambda p=phone: p,  # type: ignore[misc]
            local_addr=("127.0.0.1", 0),
        )
        phones.append(phone)
    lines = [line_ext(n) for n in range(LINES)]
    await asyncio.gather(*(subscribe_all(p, pbx_port, lines) for p in phones))
    await asyncio.sleep(2)  # the initial NOTIFYs answered
    receipts.clear()
    conn.send("ready")
    expected = await loop.run_in_executor(None, conn.recv)
    deadline = time.monotonic() + 60
    while len(receipts) < expected and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
    conn.send(receipts)
    conn.recv()  # "close": earlier phases' phones keep answering until the end
    for phone in phones:
        assert phone.transport is not None
        phone.transport.close()


@dataclass
class Phase:
    process: multiprocessing.Process
    conn: Connection


async def phase(
    pbx: PbxService, phones: range, rate: float, seconds: float, running: list[Phase]
) -> tuple[int, int, list[float]]:
    """(expected NOTIFYs, received, latencies in s) with `phones` watching every line."""
    loop = asyncio.get_running_loop()
    ours, theirs = multiprocessing.Pipe()
    extensions = [phone_ext(n) for n in phones]
    process = multiprocessing.Process(
        target=phones_process, args=(extensions, pbx.config.sip_port, theirs), daemon=True
    )
    began = time.monotonic()
    process.start()
    running.append(Phase(process, ours))
    assert await loop.run_in_executor(None, ours.recv) == "ready"
    print(f"  {len(phones) * LINES} subscriptions in {time.monotonic() - began - 2:.1f} s")
    sent_at: dict[tuple[str, str], float] = {}
    changes = await drive(pbx, sent_at, rate, seconds)
    expected = changes * len(phones)
    ours.send(expected)
    receipts: list[Receipt] = await loop.run_in_executor(None, ours.recv)
    latencies = [t - sent_at[(d, s)] for d, s, t in receipts if (d, s) in sent_at]
    return expected, len(latencies), latencies


def p99(values: list[float]) -> float:
    return statistics.quantiles(values, n=100)[98] if len(values) > 1 else values[0]


async def main(seconds: float, rate: float) -> None:
    users = [SipUser(phone_ext(n), f"pw{phone_ext(n)}") for n in range(PHONES + 1)]
    users += [SipUser(line_ext(n), f"pw{line_ext(n)}") for n in range(LINES)]
    prefix = f"bench-blf-{uuid.uuid4().hex[:8]}:"
    with tempfile.TemporaryDirectory() as work:
        config = PbxConfig(
            sip_port=free_sip_port(),
            redis_url=REDIS_URL,
            key_prefix=prefix,
            prompts_dir=Path(work),
            realm=REALM,
        )
        pbx = PbxService(config, Directory.of(users))
        await pbx.start()
        running: list[Phase] = []
        phases = (
            ("baseline (1 phone)", range(PHONES, PHONES + 1)),
            (f"{PHONES} phones", range(PHONES)),
        )
        try:
            results = {}
            for label, phones in phases:
                print(f"{label}: {LINES} lines, {rate:g} changes/s for {seconds:g} s")
                results[label] = await phase(pbx, phones, rate, seconds, running)
                subscriptions = pbx._subscriptions
                assert subscriptions is not None
                print(f"  kept {subscriptions.count(EVENT)} dialog subscriptions")
        finally:
            await pbx.stop()
            for phones_phase in running:
                phones_phase.conn.send("close")
                phones_phase.process.join(10)
            client = Redis.from_url(REDIS_URL)
            for key in client.scan_iter(match=f"{prefix}*"):
                client.delete(key)
            client.close()
    base = None
    for label, (expected, received, latencies) in results.items():
        lost = expected - received
        p50, high = statistics.median(latencies) * 1000, p99(latencies) * 1000
        print(
            f"{label}: {received}/{expected} NOTIFYs, lost {lost},"
            f" p50 {p50:.1f} ms, p99 {high:.1f} ms"
        )
        if base is None:
            base = high
        else:
            print(f"  p99 ratio to the baseline: {high / base:.1f}x")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rate", type=float, default=20.0)
    args = parser.parse_args()
    asyncio.run(main(args.seconds, args.rate))
