"""A real CardDAV server for the contact-source tests: Radicale (a dev dependency), started on a
free loopback port with one user and an empty address book, its storage in a temporary folder.
Without Radicale in the venv the tests that need it fail and say so.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.components import fail_missing
from tests.ports import free_port

USER = "petra"
PASSWORD = "app-password-1"
MKCOL = (
    '<?xml version="1.0" encoding="utf-8"?>'
    '<d:mkcol xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:carddav"><d:set><d:prop>'
    "<d:resourcetype><d:collection/><c:addressbook/></d:resourcetype>"
    "<d:displayname>Contacts</d:displayname></d:prop></d:set></d:mkcol>"
)


@dataclass
class Radicale:
    base_url: str
    book_url: str

    def client(self) -> httpx.Client:
        return httpx.Client(auth=(USER, PASSWORD), timeout=30)

    def put_card(self, name: str, vcard: str) -> None:
        with self.client() as client:
            answer = client.put(
                f"{self.book_url}{name}.vcf",
                content=vcard.encode(),
                headers={"Content-Type": "text/vcard; charset=utf-8"},
            )
            assert answer.status_code in (201, 204), answer.text

    def delete_card(self, name: str) -> None:
        with self.client() as client:
            assert client.delete(f"{self.book_url}{name}.vcf").status_code in (200, 204)


def _environment() -> dict[str, str]:
    env = dict(os.environ)
    probe = subprocess.run(  # our own interpreter
        [sys.executable, "-c", "import radicale"], env=env, capture_output=True, check=False
    )
    if probe.returncode != 0:
        fail_missing(
            "Radicale (CardDAV server)", "uv sync --extra dev (radicale is a dev dependency)"
        )
    return env


@contextlib.contextmanager
def radicale(folder: Path) -> Iterator[Radicale]:
    env = _environment()
    folder.mkdir(parents=True, exist_ok=True)
    users = folder / "users"
    users.write_text(f"{USER}:{PASSWORD}\n")
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable, "-m", "radicale",
            "--server-hosts", f"127.0.0.1:{port}",
            "--storage-filesystem-folder", str(folder / "collections"),
            "--auth-type", "htpasswd",
            "--auth-htpasswd-filename", str(users),
            "--auth-htpasswd-encryption", "plain",
            "--logging-level", "warning",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{base}/.web/", timeout=2)
                break
            except httpx.TransportError:
                if process.poll() is not None or time.monotonic() > deadline:
                    errors = process.stderr.read().decode() if process.stderr else ""
                    raise RuntimeError(f"Radicale did not start: {errors[-2000:]}") from None
                time.sleep(0.1)
        server = Radicale(base, f"{base}/{USER}/contacts/")
        with server.client() as client:
            made = client.request("MKCOL", server.book_url, content=MKCOL.encode())
            assert made.status_code == 201, made.text
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
