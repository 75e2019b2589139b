"""Challenges share a nonce for a moment (to spare its crypto); the checks stay as they were."""

from __future__ import annotations

from typing import Any

from sippy.Security.SipNonce import DGST_MD5
from sippy.SipWWWAuthenticate import SipWWWAuthenticate

from pbx_core.directory import demo_directory
from pbx_core.sip.digest import NonceSource, challenge_header, nonce_is_fresh, verified_user


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _answer(challenge: Any, user: str, password: str, method: str) -> Any:
    return challenge.getBody().genAuthHF(user, password, method, "sip:1002@127.0.0.1")


def test_one_nonce_per_reuse_window_and_every_one_is_valid() -> None:
    clock = FakeClock()
    nonces = NonceSource(reuse_seconds=1.0, clock=clock)
    first = nonces.nonce()
    clock.now += 0.5
    assert nonces.nonce() == first
    clock.now += 0.5
    second = nonces.nonce()
    assert second != first
    for nonce in (first, second):
        assert SipWWWAuthenticate.ho.validate_challenge(nonce, (DGST_MD5,))


def test_shared_nonce_still_tells_right_wrong_and_foreign_credentials_apart() -> None:
    directory = demo_directory()
    nonces = NonceSource(clock=FakeClock())
    first, second = (
        challenge_header("opencc", nonces=nonces),
        challenge_header("opencc", nonces=nonces),
    )
    assert first.getBody().nonce == second.getBody().nonce

    right = _answer(first, "1001", "pw1001", "INVITE")
    assert verified_user(directory, right, "INVITE", "1001") == "1001"

    wrong = _answer(second, "1001", "not-the-password", "INVITE")
    assert verified_user(directory, wrong, "INVITE", "1001") is None
    assert nonce_is_fresh(wrong)  # so the answer is 403, not another 401

    other_users = _answer(second, "1002", "pw1002", "REGISTER")
    assert verified_user(directory, other_users, "REGISTER", "1001") is None

    other_method = _answer(first, "1001", "pw1001", "REGISTER")
    assert verified_user(directory, other_method, "INVITE", "1001") is None


def test_proxy_challenge_uses_the_same_nonces() -> None:
    nonces = NonceSource(clock=FakeClock())
    www = challenge_header("opencc", nonces=nonces)
    proxy = challenge_header("opencc", proxy=True, nonces=nonces)
    assert proxy.name == "proxy-authenticate"
    assert proxy.getBody().nonce == www.getBody().nonce
