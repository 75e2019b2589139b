"""What the engine runtime keeps per tenant: the engine, and the PBX's side of its calls that the
engine does not model (ringing legs, playing prompts, recordings, supervisors listening in)."""

from __future__ import annotations

from dataclasses import dataclass, field

from queueing.engine import Engine


@dataclass
class EngineTenant:
    engine: Engine
    legs: dict[tuple[str, str], str] = field(default_factory=dict)
    """(call id, extension) -> leg id of the offer ringing that extension."""
    prompts: dict[str, str] = field(default_factory=dict)
    """Call id -> engine name of the prompt playing now, to map MediaFinished back."""
    recording: set[str] = field(default_factory=set)
    leg_counter: int = 0
    monitors: dict[str, tuple[str, str]] = field(default_factory=dict)
    """Call id -> (monitor id, supervisor's extension) while a supervisor listens in."""
    fence: int | None = None
    """The fencing token of this node's lease on the tenant, carried by every journal write;
    None when the runtime runs without leases (cti/engine_lease.py)."""
    journal_length: int = 0
    """Entries in the tenant's Redis journal (after its snapshot), written or queued."""
    dials: dict[str, str] = field(default_factory=dict)
    """Callback call id -> the PBX call id of its click-to-dial under way (one per attempt or
    offer, so a late event of an ended one never reaches the next)."""

    def forget_call(self, call_id: str) -> None:
        """The PBX's bookkeeping of a call the engine let go of, or that ended."""
        self.prompts.pop(call_id, None)
        self.dials.pop(call_id, None)
        for key in [k for k in self.legs if k[0] == call_id]:
            del self.legs[key]
