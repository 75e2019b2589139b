"""Malformed SIP in the spirit of RFC 4475 (section 3.1.2, invalid messages), adapted to the
PBX's address. Each must be answered with an error or ignored, never crash the SIP thread."""

from __future__ import annotations


def torture_messages(host: str, port: int, live_call_id: str) -> dict[str, bytes]:
    target = f"sip:7001@{host}:{port}"
    via = "Via: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bK-torture-{n}"
    common = "Max-Forwards: 70\r\nFrom: <sip:+3110@127.0.0.1>;tag=t{n}\r\nTo: <{target}>\r\n"
    messages = {
        # 3.1.2.1 extraneous header field separators / 3.1.2.2 content length larger than body
        "clerr": (
            f"INVITE {target} SIP/2.0\r\n{via}\r\n{common}Call-ID: clerr@t\r\nCSeq: 1 INVITE\r\n"
            "Content-Type: application/sdp\r\nContent-Length: 9999\r\n\r\nv=0\r\n"
        ),
        # 3.1.2.3 negative Content-Length
        "ncl": (
            f"INVITE {target} SIP/2.0\r\n{via}\r\n{common}Call-ID: ncl@t\r\nCSeq: 1 INVITE\r\n"
            "Content-Length: -999\r\n\r\n"
        ),
        # 3.1.2.4 request scalar fields with overlarge values
        "scalar02": (
            f"REGISTER sip:{host}:{port} SIP/2.0\r\n{via}\r\n"
            "Max-Forwards: 300\r\nFrom: <sip:1001@127.0.0.1>;tag=x\r\nTo: <sip:1001@127.0.0.1>\r\n"
            "Call-ID: scalar02@t\r\nCSeq: 36893488147419103232 REGISTER\r\n"
            "Contact: <sip:1001@127.0.0.1:9>\r\nExpires: 1000000000000000000000\r\n"
            "Content-Length: 0\r\n\r\n"
        ),
        # 3.1.2.5 response scalar fields with overlarge values
        "scalarlg": (
            f"SIP/2.0 503 Service Unavailable\r\n{via}\r\n{common}Call-ID: scalarlg@t\r\n"
            "CSeq: 1 INVITE\r\nRetry-After: 949302838503028349304023988\r\n"
            'Warning: 1812 overture "In Progress"\r\nContent-Length: 0\r\n\r\n'
        ),
        # 3.1.2.6 unterminated quoted string in display name
        "quotbal": (
            f"INVITE {target} SIP/2.0\r\n{via}\r\nMax-Forwards: 70\r\n"
            'From: "Mr. J. User <sip:j.user@example.com>;tag=90\r\n'
            f"To: <{target}>\r\nCall-ID: quotbal@t\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n"
        ),
        # 3.1.2.7 <> enclosing Request-URI
        "ltgtruri": (
            f"INVITE <{target}> SIP/2.0\r\n{via}\r\n{common}Call-ID: ltgtruri@t\r\n"
            "CSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n"
        ),
        # 3.1.2.8 malformed SIP Request-URI (embedded LWS)
        "lwsruri": (
            f"INVITE sip:7001@{host};lr=yes ;x SIP/2.0\r\n{via}\r\n{common}"
            "Call-ID: lwsruri@t\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n"
        ),
        # 3.1.2.10 escaped headers in SIP Request-URI / unknown scheme
        "unkscm": (
            f"OPTIONS nobodyKnowsThisScheme:totallyopaquecontent SIP/2.0\r\n{via}\r\n{common}"
            "Call-ID: unkscm@t\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
        ),
        # 3.1.2.12 invalid time zone in Date / 3.1.2.13 failure to enclose name-addr URI in <>
        "regbadct": (
            f"REGISTER sip:{host}:{port} SIP/2.0\r\n{via}\r\nMax-Forwards: 70\r\n"
            "From: sip:1001@127.0.0.1;tag=998332\r\nTo: sip:1001@127.0.0.1\r\n"
            "Call-ID: regbadct@t\r\nCSeq: 1 REGISTER\r\n"
            "Contact: sip:1001@127.0.0.1:9?Route=%3Csip:sip.example.com%3E\r\n"
            "Date: Fri, 01 Jan 2010 16:00:00 EST\r\nContent-Length: 0\r\n\r\n"
        ),
        # 3.1.2.16 response with overlarge status code
        "bigcode": (
            f"SIP/2.0 4294967301 better not break the receiver\r\n{via}\r\n{common}"
            "Call-ID: bigcode@t\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n"
        ),
        # 3.1.2.17 missing required header fields (no Call-ID, no CSeq, no From)
        "insuf": (
            f"INVITE {target} SIP/2.0\r\n{via}\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
        ),
        # 3.1.2.18 request-URI with unknown scheme in a BYE, plus method mismatch in CSeq
        "mismatch01": (
            f"OPTIONS {target} SIP/2.0\r\n{via}\r\n{common}Call-ID: mismatch01@t\r\n"
            "CSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n"
        ),
        # 3.1.2.19 unknown method with CSeq method mismatch
        "mismatch02": (
            f"NEWMETHOD {target} SIP/2.0\r\n{via}\r\n{common}Call-ID: mismatch02@t\r\n"
            "CSeq: 1 INVITE\r\nContent-Type: application/sdp\r\nContent-Length: 0\r\n\r\n"
        ),
        # 3.1.2.9 multiple SP separating the request-line elements / version not 2.0
        "badvers": (
            f"OPTIONS {target} SIP/7.0\r\n{via}\r\n{common}Call-ID: badvers@t\r\n"
            "CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
        ),
        # Not UTF-8 at all, and a header line without a colon
        "binary": b"INVITE \xff\xfe\xfd sip:x SIP/2.0\r\n\x00\x01\x02garbage\r\n\r\n".decode(
            "latin-1"
        ),
        "nocolon": (
            f"INVITE {target} SIP/2.0\r\n{via}\r\nThis header has no colon\r\n{common}"
            "Call-ID: nocolon@t\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n"
        ),
        # In-dialog requests aimed at the live call with wrong tags: must get 481, and the
        # call must stay up.
        "bye_wrong_tag": (
            f"BYE {target} SIP/2.0\r\n{via}\r\nMax-Forwards: 70\r\n"
            f"From: <sip:+3110@127.0.0.1>;tag=not-the-caller\r\nTo: <{target}>;tag=not-ours\r\n"
            f"Call-ID: {live_call_id}\r\nCSeq: 99 BYE\r\nContent-Length: 0\r\n\r\n"
        ),
        "cancel_no_tx": (
            f"CANCEL {target} SIP/2.0\r\n{via}\r\n{common}Call-ID: {live_call_id}\r\n"
            "CSeq: 1 CANCEL\r\nContent-Length: 0\r\n\r\n"
        ),
        "invite_bad_sdp": (
            f"INVITE {target} SIP/2.0\r\n{via}\r\n{common}Call-ID: badsdp@t\r\nCSeq: 1 INVITE\r\n"
            "Contact: <sip:x@127.0.0.1:9>\r\nContent-Type: application/sdp\r\n"
            "Content-Length: 20\r\n\r\nthis is not an SDP\r\n"
        ),
        "huge_header": (
            f"OPTIONS {target} SIP/2.0\r\n{via}\r\n{common}Call-ID: huge@t\r\nCSeq: 1 OPTIONS\r\n"
            f"X-Filler: {'a' * 60000}\r\nContent-Length: 0\r\n\r\n"
        ),
    }
    return {
        name: text.replace("{n}", str(i)).replace("{target}", target).encode("latin-1")
        for i, (name, text) in enumerate(messages.items())
    }
