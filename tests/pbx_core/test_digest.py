"""Digest with qop=auth (pbx_core/sip/digest.py) attacked directly: replays, stolen nonces,
answers for another request, expired nonces. The SIP-level attacks are in test_auth_attacks.py."""

from __future__ import annotations

from typing import Any

from sippy.SipAuthorization import SipAuthorization

from pbx_core.directory import Directory, SipUser
from pbx_core.sip.digest import DigestAuth, DigestRequest, Verdict

REALM = "acme.test"
PHONE = "192.0.2.10"
URI = "sip:1002@acme.test"
DIRECTORY = Directory.of([SipUser("1001", "secret-1001"), SipUser("1002", "secret-1002")])


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def answer(
    nonce: str, *, user: str = "1001", password: str = "secret-1001", nc: int = 1,
    uri: str = URI, method: str = "INVITE", qop: str | None = "auth", realm: str = REALM,
) -> Any:  # fmt: skip
    """What a phone sends back (sippy computes the response as RFC 2617 says)."""
    header = SipAuthorization(username=user, uri=uri, realm=realm, nonce=nonce, response=None)
    header.algorithm = "MD5"
    if qop is not None:
        header.qop, header.nc, header.cnonce = qop, f"{nc:08x}", "c0ffee"
    header.genAuthResponse(password, method, None)
    return header


def invite(source: str = PHONE, uri: str = URI) -> DigestRequest:
    return DigestRequest("INVITE", uri, source, REALM, "1001")


def test_right_password_passes_and_wrong_fails() -> None:
    auth = DigestAuth()
    nonce = auth.nonce(PHONE, REALM)
    assert auth.check(DIRECTORY, answer(nonce), invite()) is Verdict.OK
    assert auth.check(DIRECTORY, answer(nonce, password="guess", nc=2), invite()) is Verdict.FAILED


def test_a_replayed_nonce_count_fails_a_higher_one_passes() -> None:
    auth = DigestAuth()
    nonce = auth.nonce(PHONE, REALM)
    first = answer(nonce, nc=1)
    assert auth.check(DIRECTORY, first, invite()) is Verdict.OK
    assert auth.check(DIRECTORY, first, invite()) is Verdict.FAILED  # the same message again
    assert auth.check(DIRECTORY, answer(nonce, nc=1), invite()) is Verdict.FAILED
    assert auth.check(DIRECTORY, answer(nonce, nc=2), invite()) is Verdict.OK


def test_a_nonce_is_only_good_from_its_source_in_its_realm_and_for_its_lifetime() -> None:
    clock = Clock()
    auth = DigestAuth(nonce_seconds=60, clock=clock)
    nonce = auth.nonce(PHONE, REALM)
    assert auth.check(DIRECTORY, answer(nonce), invite(source="198.51.100.7")) is Verdict.STALE
    other_realm = DigestRequest("INVITE", URI, PHONE, "demo.test", "1001")
    assert auth.check(DIRECTORY, answer(nonce, realm="demo.test"), other_realm) is Verdict.STALE
    forged = nonce.split(".")[0] + "." + "0" * 32
    assert auth.check(DIRECTORY, answer(forged), invite()) is Verdict.STALE
    clock.now += 61
    assert auth.check(DIRECTORY, answer(nonce), invite()) is Verdict.STALE
    assert auth.check(DIRECTORY, answer(auth.nonce(PHONE, REALM)), invite()) is Verdict.OK


def test_the_digest_uri_must_be_the_request_uri() -> None:
    auth = DigestAuth()
    nonce = auth.nonce(PHONE, REALM)
    captured = answer(nonce, uri="sip:1002@acme.test")
    assert auth.check(DIRECTORY, captured, invite(uri="sip:0900123@acme.test")) is Verdict.FAILED
    same = answer(nonce, uri="sip:1002@ACME.test:5060", nc=2)
    assert auth.check(DIRECTORY, same, invite(uri="sip:1002@acme.test")) is Verdict.OK


def test_answers_without_qop_for_another_user_or_method_fail() -> None:
    auth = DigestAuth()
    nonce = auth.nonce(PHONE, REALM)
    assert auth.check(DIRECTORY, answer(nonce, qop=None), invite()) is Verdict.FAILED
    as_1002 = answer(nonce, user="1002", password="secret-1002")
    assert auth.check(DIRECTORY, as_1002, invite()) is Verdict.FAILED  # From says 1001
    assert auth.check(DIRECTORY, answer(nonce, method="REGISTER"), invite()) is Verdict.FAILED
    assert auth.check(None, answer(nonce), invite()) is Verdict.FAILED  # a domain nobody has


def test_forgotten_nonce_counts_mean_stale_never_unused() -> None:
    clock = Clock()
    auth = DigestAuth(max_tracked=2, clock=clock)
    oldest = auth.nonce(PHONE, REALM)
    assert auth.check(DIRECTORY, answer(oldest), invite()) is Verdict.OK
    for _ in range(2):
        clock.now += 1
        assert auth.check(DIRECTORY, answer(auth.nonce(PHONE, REALM)), invite()) is Verdict.OK
    # `oldest` was dropped to make room: its nc 1 can no longer be checked against a replay.
    assert auth.check(DIRECTORY, answer(oldest), invite()) is Verdict.STALE


def test_a_malformed_authorization_fails_without_raising() -> None:
    auth = DigestAuth()
    header = SipAuthorization(body='Digest username="1001", nonce="x", nc=zz, qop=auth')
    assert auth.check(DIRECTORY, header, invite()) in (Verdict.FAILED, Verdict.STALE)
