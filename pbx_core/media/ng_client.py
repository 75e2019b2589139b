"""A small client for rtpengine's NG control protocol (bencoded dicts over UDP).

Each request is `<cookie> <bencoded dict>`; the reply echoes the cookie. Blocking on purpose:
the SIP thread calls it in sequence with the SIP flow (see docs/pbx.md for why and for the
limit this sets), and one client instance is only ever used from one thread.
"""

from __future__ import annotations

import contextlib
import logging
import secrets
import socket
from typing import Any

from pbx_core.media.bencode import decode, encode

log = logging.getLogger(__name__)


class NgError(RuntimeError):
    """rtpengine answered `result: error`, or did not answer at all."""


class NgClient:
    def __init__(self, host: str, port: int, timeout: float = 0.5, retries: int = 1) -> None:
        """The calling thread waits at most `timeout * (retries + 1)`: the SIP reactor is that
        thread, so this is kept short (rtpengine answers in 0.2-3 ms when healthy, and
        answers a retry with the same cookie from its cache)."""
        self._address = (host, port)
        self._timeout = timeout
        self._retries = retries
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._sock.settimeout(timeout)

    def close(self) -> None:
        self._sock.close()

    def request(self, command: str, **params: Any) -> dict[str, Any]:
        message = {"command": command, **{k.replace("_", "-"): v for k, v in params.items()}}
        cookie = secrets.token_hex(8).encode()
        packet = cookie + b" " + encode(message)
        for _attempt in range(self._retries + 1):
            self._sock.sendto(packet, self._address)
            try:
                reply = self._receive(cookie)
            except TimeoutError:
                # Pings poll a starting rtpengine, `statistics` a restarting one
                # (restart_watch.py, once a second): no news.
                if command not in ("ping", "statistics"):
                    log.warning("rtpengine did not answer %s in %.1f s", command, self._timeout)
                continue
            if reply.get("result") == "error":
                raise NgError(f"{command}: {reply.get('error-reason', 'error')}")
            return reply
        raise NgError(f"{command}: no answer from rtpengine at {self._address}")

    def notify(self, command: str, **params: Any) -> None:
        """Send without waiting for the reply, for commands whose outcome changes nothing for
        the caller (delete, stop media): keeps the SIP thread from blocking on them. Their
        replies are skipped later by cookie. Only for a call's last command (`delete`): a
        later command on the same call could overtake it."""
        message = {"command": command, **{k.replace("_", "-"): v for k, v in params.items()}}
        self._sock.sendto(secrets.token_hex(8).encode() + b" " + encode(message), self._address)

    def _receive(self, cookie: bytes) -> dict[str, Any]:
        while True:
            data, _ = self._sock.recvfrom(65535)
            got_cookie, _, body = data.partition(b" ")
            if got_cookie != cookie:
                continue  # a late reply to an earlier, retried request
            reply = decode(body)
            if not isinstance(reply, dict):
                raise NgError("malformed reply")
            return reply

    # The commands the PBX uses, with the parameters architecture.md's flow needs.

    def ping(self) -> bool:
        return self.request("ping").get("result") == "pong"

    def offer(self, call_id: str, from_tag: str, sdp: str) -> str:
        reply = self.request(
            "offer",
            call_id=call_id,
            from_tag=from_tag,
            sdp=sdp,
            replace=["origin", "session-connection"],
        )
        return str(reply["sdp"])

    def answer(
        self, call_id: str, from_tag: str, to_tag: str, sdp: str, *, latching: bool = False
    ) -> str:
        params: dict[str, Any] = {
            "call_id": call_id,
            "from_tag": from_tag,
            "to_tag": to_tag,
            "sdp": sdp,
            "replace": ["origin", "session-connection"],
        }
        if latching:
            # Without it rtpengine moves its caller-facing port when the far side changes and
            # the caller never learns it (architecture.md, flow step 4).
            params["flags"] = ["port latching"]
        return str(self.request("answer", **params)["sdp"])

    def play_media(
        self, call_id: str, from_tag: str, file: str, repeat_times: int | None = None
    ) -> int:
        """Start a file toward `from_tag`'s party; returns its duration in ms (0 if unknown)."""
        params: dict[str, Any] = {"call_id": call_id, "from_tag": from_tag, "file": file}
        if repeat_times is not None:
            params["repeat_times"] = repeat_times
        return int(self.request("play media", **params).get("duration", 0))

    def stop_media(self, call_id: str, from_tag: str) -> None:
        # Waits for the reply: a `play media` right after must not overtake it. An error means
        # nothing was playing, which is the state we want.
        with contextlib.suppress(NgError):
            self.request("stop media", call_id=call_id, from_tag=from_tag)

    def block_media(self, call_id: str, from_tag: str) -> None:
        """Stop forwarding `from_tag`'s audio to the other party (DTMF still passes)."""
        self.request("block media", call_id=call_id, from_tag=from_tag)

    def unblock_media(self, call_id: str, from_tag: str) -> None:
        self.request("unblock media", call_id=call_id, from_tag=from_tag)

    def subscribe_request(self, call_id: str, from_tags: list[str]) -> tuple[str, str]:
        """Copies of the audio the `from_tags` parties send, for a new receiver: returns
        (sendonly offer with one audio section per tag, in order; the subscription's to-tag)."""
        reply = self.request("subscribe request", call_id=call_id, from_tags=from_tags)
        return str(reply["sdp"]), str(reply["to-tag"])

    def subscribe_answer(self, call_id: str, to_tag: str, sdp: str) -> None:
        # `allow transcoding`: the receiver takes G.711 whatever codec the parties speak.
        self.request(
            "subscribe answer",
            call_id=call_id,
            to_tag=to_tag,
            sdp=sdp,
            flags=["allow transcoding"],
        )

    def unsubscribe(self, call_id: str, to_tag: str) -> None:
        self.request("unsubscribe", call_id=call_id, to_tag=to_tag)

    def start_recording(self, call_id: str, from_tag: str) -> None:
        self.request("start recording", call_id=call_id, from_tag=from_tag)

    def delete(self, call_id: str) -> None:
        self.notify("delete", call_id=call_id, delete_delay=0)

    def query(self, call_id: str) -> dict[str, Any]:
        return self.request("query", call_id=call_id)
