"""The mixer's SDP handling: a party's audio address and codec, SDP moved to a mixer socket."""

from __future__ import annotations

import pytest

from pbx_core.media import g711, sdp_rewrite

PHONE = (
    "v=0\r\no=- 7 41 IN IP4 10.0.0.5\r\ns=-\r\nc=IN IP4 10.0.0.5\r\nt=0 0\r\n"
    "m=audio 4000 RTP/AVP 9 8 0 101\r\nc=IN IP4 10.0.0.6\r\na=rtpmap:9 G722/8000\r\n"
)


def test_audio_endpoint_takes_the_media_level_address_and_the_first_g711_codec() -> None:
    assert sdp_rewrite.audio_endpoint(PHONE) == (("10.0.0.6", 4000), g711.PCMA)
    with pytest.raises(sdp_rewrite.SdpError):
        sdp_rewrite.audio_endpoint(PHONE.replace(" 8 0 101", " 101"))


def test_moved_and_with_version() -> None:
    moved = sdp_rewrite.with_version(sdp_rewrite.moved(PHONE, ("127.0.0.1", 5000)), 2)
    assert sdp_rewrite.audio_endpoint(moved) == (("127.0.0.1", 5000), g711.PCMA)
    assert "o=- 7 43 IN IP4 10.0.0.5" in moved, "origin address kept, version raised"
    assert "m=audio 5000 RTP/AVP 9 8 0 101" in moved, "codecs kept"


def test_subscription_offer_and_receive_only_answer() -> None:
    offer = "m=audio 1 RTP/AVP 9 101\r\nm=audio 2 RTP/AVP 8 0\r\n"
    assert sdp_rewrite.audio_codecs(offer) == [g711.PCMU, g711.PCMA]
    answer = sdp_rewrite.receive_only_answer([(("127.0.0.1", 10), 0), (("127.0.0.1", 12), 8)])
    assert answer.count("a=recvonly") == 2
    assert "m=audio 10 RTP/AVP 0\r\n" in answer and "m=audio 12 RTP/AVP 8\r\n" in answer
