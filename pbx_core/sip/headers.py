"""Headers the PBX writes exactly as given, under their canonical names.

sippy re-serialises the headers it knows (WWW-Authenticate: `qop` unquoted, `stale` quoted) and
capitalises the names it does not (`Retry-after`); some phones and SIPp read both strictly."""

from __future__ import annotations

from typing import Any

from sippy.SipAddress import SipAddress
from sippy.SipContact import SipContact
from sippy.SipGenericHF import SipGenericHF
from sippy.SipHeader import SipHeader
from sippy.SipURL import SipURL


class _AsWritten(SipGenericHF):  # type: ignore[misc]
    def __init__(self, name: str, value: str) -> None:
        super().__init__(value, name=name.lower())
        self._canonical = name

    def getCanName(self, name: str, compact: bool = False) -> str:
        return self._canonical

    def getCopy(self) -> _AsWritten:
        return _AsWritten(self._canonical, self.body)


def raw_header(name: str, value: str) -> Any:
    """A header `name: value` (name as it should appear, e.g. "Retry-After")."""
    return SipHeader(name=name.lower(), body=_AsWritten(name, value))


def our_contact(global_config: dict[str, Any]) -> Any:
    """The PBX's Contact (its SIP address and port) without sippy's default display name
    `Anonymous`, which some user agents (SIPp's [next_url]) fail to parse."""
    url = SipURL(host=global_config["_sip_address"], port=global_config["_sip_port"])
    return SipContact(address=SipAddress(url=url, hadbrace=True))
