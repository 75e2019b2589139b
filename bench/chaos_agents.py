"""Agents of 7003 for the chaos harness (bench/chaos.py): SIPp phones that answer what the
engine offers them and stay connected until the caller's BYE, so calls are connected when a
fault hits.

Each agent is one SIPp UAS (`tests/pbx_core/sipp/agent_answer.xml`: rings 200 ms, answers,
waits for the BYE) that runs through the whole harness run on a port of its own; before each
fault the harness registers the agent's extension to that port again (the registration expires
after 300 s, and a product restart must find it) and sets the agent AVAILABLE through the
product's GraphQL API. SIPp writes its cumulative counters every second (`-trace_stat`): the
failed calls an agent phone added during a fault are calls whose BYE never reached it (its
receive timeout) or that got a message the scenario did not expect, and the calls still open on
a phone once every caller has hung up never got their BYE.
"""

from __future__ import annotations

import csv
import socket
import subprocess
import time
from pathlib import Path

import httpx

from common.child_processes import dies_with_parent
from tests.ports import free_port

ROOT = Path(__file__).resolve().parents[1]
SIPP_DIR = ROOT / "tests" / "pbx_core" / "sipp"
AGENTS_OF_7003 = ("1007", "1008", "1009", "1010")
"""The demo's 7003 members who are in no other call center (1001 is in 7001 as well)."""
AVAILABLE = "mutation { setAgentState(state: AVAILABLE) { accepted } }"
STAT_PERIOD_SECONDS = 1


class AgentPhones:
    """`count` agents of 7003, each a SIPp phone answering every call offered to it."""

    def __init__(self, work: Path, count: int, recv_timeout_s: int) -> None:
        assert 0 <= count <= len(AGENTS_OF_7003), f"7003 has {len(AGENTS_OF_7003)} agents here"
        self.work = work / "agents"
        self.work.mkdir(exist_ok=True)
        self.extensions = AGENTS_OF_7003[:count]
        self.ports = {ext: free_port(socket.SOCK_DGRAM) for ext in self.extensions}
        self.processes = {ext: self._answer(ext, recv_timeout_s) for ext in self.extensions}

    def _stats(self, extension: str) -> Path:
        return self.work / f"agent-{extension}.csv"

    def _answer(self, extension: str, recv_timeout_s: int) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            dies_with_parent([
                "sipp", "-sf", str(SIPP_DIR / "agent_answer.xml"),
                "-i", "127.0.0.1", "-p", str(self.ports[extension]),
                "-set", "media_port", str(free_port(socket.SOCK_DGRAM)), "-set", "ring_ms", "200",
                # A connected call that never gets its BYE fails here, not silently.
                "-recv_timeout", str(recv_timeout_s * 1000), "-nostdin",
                "-aa",  # a restarted PBX checks its dialogs with in-dialog OPTIONS
                "-trace_stat", "-stf", str(self._stats(extension)),
                "-fd", str(STAT_PERIOD_SECONDS),
                "-trace_err", "-error_file", str(self.work / f"agent-{extension}-errors.log"),
            ]),
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=self.work,
        )  # fmt: skip

    def sign_in(self, base: str, sip_port: int) -> None:
        """Each agent registered to its phone and AVAILABLE: before each fault."""
        for extension in self.extensions:
            assert self.processes[extension].poll() is None, f"agent {extension}'s SIPp died"
            register = subprocess.run(
                ["sipp", f"127.0.0.1:{sip_port}", "-sf", str(SIPP_DIR / "register.xml"),
                 "-i", "127.0.0.1", "-p", str(free_port(socket.SOCK_DGRAM)), "-m", "1",
                 "-set", "contact_port", str(self.ports[extension]), "-s", extension,
                 "-au", extension, "-ap", f"pw{extension}", "-nostdin", "-timeout", "30s",
                 "-timeout_error"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=self.work, timeout=60,
            )  # fmt: skip
            assert register.returncode == 0, f"agent {extension} could not register"
            login = httpx.post(
                f"{base}/api/v1/auth/token",
                json={"username": extension, "password": f"pw{extension}"},
                timeout=30,
            )
            login.raise_for_status()
            answer = httpx.post(
                f"{base}/graphql",
                json={"query": AVAILABLE},
                headers={"Authorization": f"Bearer {login.json()['access_token']}"},
                timeout=30,
            ).json()
            assert answer["data"]["setAgentState"]["accepted"], answer

    def failed_or_open_calls(self) -> int:
        """The calls of all agent phones so far that failed or are still open (SIPp's
        counters): its difference over a fault, once every caller of the fault has hung up, is
        the calls that ended badly or never got their BYE. A call left open by one fault that
        times out in a later one moves from open to failed and counts once."""
        time.sleep(STAT_PERIOD_SECONDS * 2 + 0.5)  # SIPp has written what happened until now
        total = 0
        for extension in self.extensions:
            if not self._stats(extension).exists():  # SIPp's first period has not passed
                continue
            rows = list(csv.DictReader(self._stats(extension).open(), delimiter=";"))
            if rows:
                total += int(rows[-1]["FailedCall(C)"]) + int(rows[-1]["CurrentCall"])
        return total

    def stop(self) -> None:
        for process in self.processes.values():
            process.terminate()
        for process in self.processes.values():
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
