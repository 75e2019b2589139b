"""SIPp as the carrier: answers one call at the carrier's address and reports what identified
it (Request-URI, From, P-Asserted-Identity, Privacy), for tests of outbound calls."""

from __future__ import annotations

from pathlib import Path

from tests.pbx_core.support import Sipp, free_port


class Carrier:
    """SIPp answering at the carrier's address; `finished()` returns what identified the call."""

    def __init__(
        self,
        port: int,
        work_dir: Path,
        scenario: str = "carrier_answer.xml",
        transport: list[str] | None = None,
    ) -> None:
        """`transport`: SIPp's option for it (`["-t", "t1"]`: TCP); UDP by default."""
        self.port = port
        self.log = work_dir / f"carrier-{self.port}.log"
        self.sipp = Sipp(
            scenario,
            work_dir=work_dir,
            local_port=self.port,
            variables={"media_port": free_port(), "ring_ms": 200},
            extra=["-trace_logs", "-log_file", str(self.log), *(transport or [])],
        )

    async def __aenter__(self) -> Carrier:
        await self.sipp.start()
        return self

    async def __aexit__(self, *_: object) -> None:
        self.sipp.kill()

    async def finished(self) -> dict[str, str]:
        result = await self.sipp.wait()
        assert result.returncode == 0, result.errors
        lines = [line.strip() for line in self.log.read_text().splitlines() if line.strip()]
        seen: dict[str, str] = {}
        for line in lines:
            name, _, value = line.partition(":")
            if value.strip():  # a header the INVITE lacks logs as empty
                seen[name.strip()] = value.strip()
        return seen
