"""A SIP header sippy does not know, written with its usual spelling: sippy writes unknown
headers as `Call-info` or `Subscription-state`, and some phones (and SIPp's header matching)
compare names case-sensitively."""

from __future__ import annotations

from sippy.SipGenericHF import SipGenericHF
from sippy.SipHeader import SipHeader


class CasedHF(SipGenericHF):  # type: ignore[misc]
    def __init__(self, body: str, name: str) -> None:
        super().__init__(body, name)
        self._spelling = name

    def getCanName(self, name: str, compact: bool = False) -> str:  # sippy's name
        return self._spelling

    def getCopy(self) -> CasedHF:  # sippy's name
        return CasedHF(str(self.body), self._spelling)


def cased_header(name: str, value: str) -> SipHeader:
    return SipHeader(name=name.lower(), body=CasedHF(value, name))


AUTO_ANSWER_HEADERS = (
    ("Call-Info", "<sip:pbx>;answer-after=0"),
    ("Alert-Info", "<http://localhost>;info=alert-autoanswer"),
)
"""The common auto-answer hints (Polycom/Yealink/Snom/baresip read one of them, the browser
phone the first)."""


def auto_answer_headers() -> tuple[SipHeader, ...]:
    return tuple(cased_header(name, value) for name, value in AUTO_ANSWER_HEADERS)
