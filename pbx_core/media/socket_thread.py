"""One thread with a selector serving many UDP sockets, one per call: the PBX's own RTP endpoints
(the voicemail recorder, the fax lines). Sockets are added and removed from any thread; the
thread picks the changes up within `wake_seconds`, so 50 calls at once cost one thread."""

from __future__ import annotations

import logging
import selectors
import socket
import threading
from typing import Generic, TypeVar

log = logging.getLogger(__name__)

Item = TypeVar("Item")


class SocketThread(Generic[Item]):
    """Subclasses handle each packet (`packet`), and may act between waits (`ticked`), on a new
    item (`added`) and on a removed one (`released`, after its socket is closed); all run in
    the thread."""

    def __init__(self, name: str, wake_seconds: float = 0.05) -> None:
        self._name = name
        self._wake = wake_seconds
        self._selector = selectors.DefaultSelector()
        self._pending: list[tuple[bool, socket.socket, Item]] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def add(self, sock: socket.socket, item: Item) -> None:
        with self._lock:
            self._pending.append((True, sock, item))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
                self._thread.start()

    def remove(self, sock: socket.socket, item: Item) -> None:
        with self._lock:
            self._pending.append((False, sock, item))

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
            self._thread = None
        for key in list(self._selector.get_map().values()):
            key.fileobj.close()  # type: ignore[union-attr]
            self.released(key.data)
        self._selector.close()

    # The subclass's part.

    def packet(self, item: Item, data: bytes, source: tuple[str, int]) -> None:
        raise NotImplementedError

    def wait_seconds(self) -> float:
        """How long the thread may wait for packets now (at most `wake_seconds`)."""
        return self._wake

    def ticked(self) -> None:
        """After each wait (packets handled or not)."""

    def added(self, item: Item) -> None:
        """`item`'s socket is served from now on."""

    def released(self, item: Item) -> None:
        """`item` was removed (or the thread stopped) and its socket closed."""

    # The thread.

    def _run(self) -> None:
        while not self._stop.is_set():
            self._apply_pending()
            for key, _ in self._selector.select(max(0.0, min(self.wait_seconds(), self._wake))):
                self._drain(key.fileobj, key.data)  # type: ignore[arg-type]
            self.ticked()

    def _drain(self, sock: socket.socket, item: Item) -> None:
        while True:
            try:
                data, source = sock.recvfrom(2048)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                log.warning("%s: socket of %s failed", self._name, item, exc_info=True)
                return
            try:
                self.packet(item, data, source)
            except Exception:  # a malformed packet must not stop every call's audio
                log.warning("%s: packet dropped for %s", self._name, item, exc_info=True)

    def _apply_pending(self) -> None:
        with self._lock:
            pending, self._pending = self._pending, []
        for add, sock, item in pending:
            if add:
                self._selector.register(sock, selectors.EVENT_READ, item)
                self.added(item)
            elif sock.fileno() != -1 and sock in self._selector.get_map():
                self._selector.unregister(sock)
                sock.close()
                self.released(item)
