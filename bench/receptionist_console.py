"""Receptionist console latency (issue 21, Performance): one Premium console monitoring 150 users
while their calls change state 20 times a second; p99 from the PBX's call event to the tile's
new `data-state` in the console's DOM (headless Chromium) must stay under 100 ms. Printed: the
changes expected and seen (lost), p50/p99, and the p99 against a baseline measured in the same
run: the same console at 1 change a second (the path without load).

The product is the whole one (`tests/product_harness.ProductThread`: PBX, provisioning, the
console's backend `cti/receptionist.py`, the web server) with its demo company; the admin
imports 150 users (CSV, `POST /api/v1/tenants/demo/users/import`) and gives 1003 a Premium
receptionist licence, 1003 monitors all 150 (`PUT /api/v1/receptionist/monitored`) and signs in
at /receptionist in Debian's Chromium. The state changes are call events (a trunk call rings a
user, is answered, hangs up; a few calls at once on random users) handed to the PBX's SIP
thread where the B2BUA hands its own (`PbxService._emit_with_presence`), so no SIPp, no media.

Times are wall-clock ms: the bench notes `time.time()` as it hands an event to the SIP thread,
a MutationObserver in the page notes `performance.timeOrigin + performance.now()` when a tile's
`data-state` changes; per tile the expected states are matched in order with the ones seen.

    .venv/bin/python bench/receptionist_console.py [--users 150] [--rate 20] [--seconds 10]
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from playwright.sync_api import Page, expect, sync_playwright  # noqa: E402

from cti.demo_company import DEMO_TENANT  # noqa: E402
from cti.receptionist import ReceptionistConsole, Tile  # noqa: E402
from pbx_core import call_control as cc  # noqa: E402
from pbx_core.service import PbxService  # noqa: E402
from tests.agent_ui.agent_pages import new_context, watch_errors  # noqa: E402
from tests.components import CHROMIUM_ARGS, require_chromium  # noqa: E402
from tests.product_harness import ProductThread  # noqa: E402

RECEPTIONIST = "1003"
FIRST_EXTENSION = 2000
CALLER = "+31201234567"
BASELINE_RATE = 1.0
SETTLE_SECONDS = 30.0
"""How long the page may take, after the last event, to show every expected change."""

OBSERVE = """() => {
  window.benchChanges = [];
  const last = new Map();
  const note = (node, now) => {
    if (!(node instanceof Element) || !node.classList.contains("tile")) return;
    const ext = node.dataset.ext, state = node.dataset.state;
    if (last.get(ext) === state) return;
    last.set(ext, state);
    window.benchChanges.push([ext, state, now]);
  };
  for (const node of document.querySelectorAll("#grid .tile")) {
    last.set(node.dataset.ext, node.dataset.state);
  }
  new MutationObserver((records) => {
    const now = performance.timeOrigin + performance.now();
    for (const record of records) {
      if (record.type === "attributes") note(record.target, now);
      else for (const node of record.addedNodes) note(node, now);
    }
  }).observe(document.getElementById("grid"),
             { childList: true, subtree: true, attributes: true, attributeFilter: ["data-state"] });
}"""
"""The console replaces a changed tile's node (or sets its attribute): either is a change."""

Expected = tuple[str, str, float]
"""(extension, tile state, `time.time()` when its event went to the PBX)."""
Seen = tuple[str, str, float]
"""(extension, tile state, wall-clock ms when it was seen)."""


@dataclass(frozen=True)
class PhaseResult:
    label: str
    rate: float
    expected: int
    latencies_ms: list[float]
    """PBX event -> the tile's new `data-state` in the page."""
    backend_ms: list[float]
    """PBX event -> the console backend's tile in a stream's queue (where the time goes)."""

    @property
    def lost(self) -> int:
        return self.expected - len(self.latencies_ms)

    @property
    def p50(self) -> float:
        return statistics.median(self.latencies_ms)

    @property
    def p99(self) -> float:
        return p99(self.latencies_ms)


def p99(values: list[float]) -> float:
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[98]


class BackendTap:
    """A second listener of the console's backend, beside the page's stream: when each tile
    left `ReceptionistConsole` for the streams (the rest of the latency is the SSE response,
    Chromium's fetch reader and the page's code)."""

    def __init__(self, product: ProductThread) -> None:
        assert product.handle.app is not None
        console: ReceptionistConsole = product.handle.app.state.receptionist
        self.seen: list[Seen] = []
        self._task = asyncio.run_coroutine_threadsafe(self._follow(console), product.loop.loop)

    async def _follow(self, console: ReceptionistConsole) -> None:
        with console.listen(DEMO_TENANT) as queue:
            while (item := await queue.get()) is not None:
                if isinstance(item, Tile):  # not a receptionist's call actions
                    self.seen.append((item.extension, str(item.state), time.time() * 1000))

    def stop(self) -> None:
        self._task.cancel()


def extensions(users: int) -> list[str]:
    return [str(FIRST_EXTENSION + n) for n in range(users)]


def provision(product: ProductThread, users: list[str]) -> None:
    """The admin's CSV import of the users, and a Premium receptionist licence for 1003, who
    monitors them all (the PBX's directory follows provisioning live)."""
    csv = "username,name,extension,sip_password,profile\n" + "".join(
        f"bench{e},Medewerker {e},{e},sip-secret-{e},kantoor\n" for e in users
    )
    with httpx.Client(base_url=product.base_url, timeout=60) as client:
        admin = sign_in(client, "admin", "pwadmin")
        answer = client.post(
            f"/api/v1/tenants/{DEMO_TENANT}/users/import?dry_run=false",
            content=csv,
            headers={**admin, "content-type": "text/csv"},
        )
        answer.raise_for_status()
        licences = {"call_center": "premium", "receptionist": "premium"}
        answer = client.patch(
            f"/api/v1/tenants/{DEMO_TENANT}/users/{RECEPTIONIST}",
            json={"licences": licences},
            headers=admin,
        )
        answer.raise_for_status()
        pbx = running_pbx(product)
        deadline = time.monotonic() + 60
        while any(pbx.directories.user(DEMO_TENANT, e) is None for e in users):
            if time.monotonic() > deadline:
                raise RuntimeError("the PBX's directory did not get the imported users")
            time.sleep(0.1)
        receptionist = sign_in(client, RECEPTIONIST, f"pw{RECEPTIONIST}")
        answer = client.put(
            "/api/v1/receptionist/monitored", json={"extensions": users}, headers=receptionist
        )
        answer.raise_for_status()


def sign_in(client: httpx.Client, username: str, password: str) -> dict[str, str]:
    answer = client.post("/api/v1/auth/token", json={"username": username, "password": password})
    answer.raise_for_status()
    return {"authorization": f"Bearer {answer.json()['access_token']}"}


def running_pbx(product: ProductThread) -> PbxService:
    pbx = product.handle.pbx
    assert pbx is not None
    return pbx


def open_console(page: Page, product: ProductThread, users: int) -> dict[str, str]:
    """1003 signed in with every tile shown and the observer set; the tiles' states."""
    page.goto(f"{product.base_url}/receptionist/")
    page.fill("#login-username", RECEPTIONIST)
    page.fill("#login-password", f"pw{RECEPTIONIST}")
    page.click("#login-submit")
    expect(page.locator("#grid .tile")).to_have_count(users, timeout=60_000)
    page.evaluate(OBSERVE)
    states: dict[str, str] = page.evaluate(
        "() => Object.fromEntries([...document.querySelectorAll('#grid .tile')]"
        ".map((n) => [n.dataset.ext, n.dataset.state]))"
    )
    return states


def drive(
    pbx: PbxService, users: list[str], rest: dict[str, str], rate: float, seconds: float
) -> list[Expected]:
    """About `rate` state changes a second for `seconds`: `slots` calls at once, each on a
    random user no other call has, stepping in turn (ringing, on a call, hung up: the tile back
    to its `rest` state); every call ends. Returns the changes expected in the console."""
    stack = pbx._stack
    assert stack is not None
    chooser = random.Random(f"{rate}/{seconds}")  # the same users in every run
    slots = max(1, min(len(users) // 2, round(rate / 5)))
    changes = 3 * slots * max(1, math.ceil(rate * seconds / (3 * slots)))
    run = uuid.uuid4().hex[:6]
    line: dict[int, str] = {}
    expected: list[Expected] = []
    start = time.monotonic()
    for k in range(changes):
        slot, turn = k % slots, k // slots
        call, step = divmod(turn, 3)
        call_id = f"bench-{run}-{slot}-{call}"
        leg_id = f"{call_id}~1"
        if step == 0:
            busy = set(line.values())
            line[slot] = chooser.choice([u for u in users if u not in busy])
        extension = line[slot]
        events: list[cc.CallEvent]
        if step == 0:
            offered = cc.CallOffered(call_id, CALLER, extension, cc.CallSource.TRUNK,
                                     tenant=DEMO_TENANT)  # fmt: skip
            events, state = [offered, cc.CallRinging(call_id, leg_id, extension)], "ringing"
        elif step == 1:
            events, state = [cc.CallAnswered(call_id, leg_id, extension)], "on_call"
        else:
            events, state = [cc.CallHungUp(call_id, cc.HangupSide.CALLER)], rest[extension]
        # Up to half an interval late: the SIP thread runs what other threads hand it (this
        # bench, its UDP reader) at its next 10 ms tick, and SIP messages arrive at any phase.
        due = start + (k + chooser.random() / 2) / rate
        time.sleep(max(0.0, due - time.monotonic()))
        expected.append((extension, state, time.time() * 1000))
        for event in events:
            stack.call(pbx._emit_with_presence, event, None)
    return expected


def seen_changes(page: Page, count: int) -> list[Seen]:
    """The changes the page noted, once `count` are there or SETTLE_SECONDS passed (then lost
    ones show as such)."""
    deadline = time.monotonic() + SETTLE_SECONDS
    while page.evaluate("() => window.benchChanges.length") < count:
        if time.monotonic() > deadline:
            break
        time.sleep(0.2)
    time.sleep(0.5)  # a late duplicate or stray change would show here too
    changes = page.evaluate("() => window.benchChanges")
    return [(str(extension), str(state), float(at)) for extension, state, at in changes]


def match(expected: list[Expected], seen: list[Seen]) -> list[float]:
    """Latencies (ms) of the expected changes found, per tile in order: each expected state is
    the first one seen on its tile after the previous match."""
    by_tile: dict[str, list[tuple[str, float]]] = {}
    for extension, state, at in seen:
        by_tile.setdefault(extension, []).append((state, at))
    cursor: dict[str, int] = {}
    latencies = []
    for extension, state, sent in expected:
        shown = by_tile.get(extension, [])
        start = cursor.get(extension, 0)
        found = next((i for i in range(start, len(shown)) if shown[i][0] == state), None)
        if found is None:
            continue
        cursor[extension] = found + 1
        latencies.append(shown[found][1] - sent)
    return latencies


def phase(
    page: Page,
    tap: BackendTap,
    pbx: PbxService,
    users: list[str],
    rest: dict[str, str],
    label: str,
    rate: float,
    seconds: float,
) -> PhaseResult:
    page.evaluate("() => { window.benchChanges.length = 0; }")
    tap.seen.clear()
    expected = drive(pbx, users, rest, rate, seconds)
    latencies = match(expected, seen_changes(page, len(expected)))
    return PhaseResult(label, rate, len(expected), latencies, match(expected, list(tap.seen)))


def clock_offset_ms(page: Page) -> tuple[float, float]:
    """The page's clock (`performance.timeOrigin + performance.now()`) minus `time.time()`,
    and half the round trip it was read in (its uncertainty): best of 20."""
    best = (0.0, math.inf)
    for _ in range(20):
        before = time.time() * 1000
        page_now: float = page.evaluate("() => performance.timeOrigin + performance.now()")
        after = time.time() * 1000
        if (after - before) / 2 < best[1]:
            best = (page_now - (before + after) / 2, (after - before) / 2)
    return best


def report(results: list[PhaseResult]) -> None:
    base = None
    for result in results:
        if not result.latencies_ms:
            print(f"{result.label}: 0/{result.expected} changes seen")
            continue
        print(
            f"{result.label}: {len(result.latencies_ms)}/{result.expected} changes seen,"
            f" lost {result.lost}, p50 {result.p50:.1f} ms, p99 {result.p99:.1f} ms,"
            f" max {max(result.latencies_ms):.1f} ms"
        )
        if result.backend_ms:
            print(
                f"  of which to the backend's tile: p50 {statistics.median(result.backend_ms):.1f}"
                f" ms, p99 {p99(result.backend_ms):.1f} ms"
            )
        if base is None:
            base = result.p99
        else:
            print(f"  p99 ratio to the baseline: {result.p99 / base:.1f}x")


def main(argv: list[str] | None = None) -> list[PhaseResult]:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--users", type=int, default=150)
    parser.add_argument("--rate", type=float, default=20.0, help="state changes a second")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--baseline-rate", type=float, default=BASELINE_RATE)
    args = parser.parse_args(argv)
    users = extensions(args.users)
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    with tempfile.TemporaryDirectory() as work:
        product = ProductThread.start(Path(work) / "var", "console-bench", media=False)
        try:
            provision(product, users)
            pbx = running_pbx(product)
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=require_chromium(), args=CHROMIUM_ARGS
                )
                context = new_context(browser)
                page = context.new_page()
                errors = watch_errors(page)
                rest = open_console(page, product, len(users))
                offset, within = clock_offset_ms(page)
                print(f"page clock - time.time(): {offset:+.2f} ms (+/- {within:.2f})")
                tap = BackendTap(product)
                # One call first: the stream is open, and the page's code warm.
                phase(page, tap, pbx, users, rest, "warm-up", 4.0, 0.75)
                phases = (
                    (f"baseline ({args.baseline_rate:g} change/s)", args.baseline_rate),
                    (f"{args.users} tiles, {args.rate:g} changes/s", args.rate),
                )
                results = [
                    phase(page, tap, pbx, users, rest, label, rate, args.seconds)
                    for label, rate in phases
                ]
                tap.stop()
                context.close()
                browser.close()
                if errors:
                    raise RuntimeError(f"errors in the console: {errors}")
        finally:
            product.stop()
    print(f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    report(results)
    return results


if __name__ == "__main__":
    main()
