"""Call recording in the running product, as its users meet it: a SIPp phone dials `*44` before
a number and a softphone (baresip) answers and talks; a second call on demand is not kept; the
product's rq worker converts and catalogues; the portal lists the call to its owner and the
admin, plays it in Chromium, labels it, mails a link (aiosmtpd receives it) and audits every
use; the retention purge is scheduled with rq's cron."""

from __future__ import annotations

import asyncio
import email
import os
import re
import subprocess
import time
from collections.abc import Callable, Iterator
from email.message import Message
from pathlib import Path

import httpx
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from playwright.sync_api import sync_playwright
from redis import Redis

from common.job_queues import JsonCronScheduler, worker_command
from cti.recording_archive import RecordingPaths
from cti.recording_product import ProductRecordings
from tests.components import CHROMIUM_ARGS, require_chromium, require_executable
from tests.pbx_core.support import free_port, run_sipp
from tests.pbx_core.test_softphone import EXTENSION as SOFTPHONE
from tests.pbx_core.test_softphone import _baresip_config, _tone
from tests.product_harness import REDIS_URL, ProductThread

CALLER = "1005"  # records on demand, like the softphone's 1009 (cti/provisioning_demo.py)


class Inbox:
    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.messages.append(email.message_from_bytes(envelope.original_content or b""))
        return "250 OK"


@pytest.fixture
def product(tmp_path: Path) -> Iterator[ProductThread]:
    running = ProductThread.start(tmp_path / "var", "recordings")
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def inbox() -> Iterator[tuple[Inbox, int]]:
    handler, port = Inbox(), free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


def _paths(product: ProductThread) -> RecordingPaths:
    var = product.settings.var_dir.resolve()
    return ProductRecordings.under(
        var, product.handle.database_url, product.prefix, REDIS_URL
    ).paths


def _run_worker(paths: RecordingPaths, smtp_port: int) -> None:
    """The product's rq worker (`rq worker`), in burst mode: it stops when the queue is empty."""
    env = {**os.environ, **paths.environment(), "SMTP_HOST": "127.0.0.1"}
    env["SMTP_PORT"] = str(smtp_port)
    done = subprocess.run(
        [*worker_command(REDIS_URL, [paths.queue_name]), "--burst"],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr


def _call(product: ProductThread, to: str, work_dir: Path) -> None:
    result = asyncio.run(
        run_sipp(
            "ext_call.xml",
            work_dir=work_dir,
            remote=("127.0.0.1", product.sip_port),
            variables={"from": CALLER, "to": to, "media_port": free_port(), "hold_ms": 3000},
            extra=["-au", CALLER, "-ap", f"pw{CALLER}"],
        )
    )
    assert result.returncode == 0, result.errors


def _token(http: httpx.Client, username: str) -> dict[str, str]:
    reply = http.post(
        "/api/v1/auth/token", json={"username": username, "password": f"pw{username}"}
    )
    reply.raise_for_status()
    return {"Authorization": f"Bearer {reply.json()['access_token']}"}


def _wait_for(condition: Callable[[], bool], timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


def _wait_for_registration(
    registration: Callable[[str], object], phone: subprocess.Popen[bytes], log: Path
) -> None:
    """Until the softphone is registered; a baresip that ended or never registered fails the
    test with what it printed (it names the port or the answer that stopped it)."""
    deadline = time.monotonic() + 60
    while registration(SOFTPHONE) is None:
        ended = phone.poll()
        assert ended is None, f"baresip ended ({ended}): {log.read_text(errors='replace')}"
        assert time.monotonic() < deadline, f"not registered: {log.read_text(errors='replace')}"
        time.sleep(0.2)


def test_a_recorded_call_is_converted_listed_played_labelled_and_mailed(
    product: ProductThread, inbox: tuple[Inbox, int], tmp_path: Path
) -> None:
    require_executable("baresip")
    require_executable("opusenc")
    mails, smtp_port = inbox
    pbx = product.handle.pbx
    assert pbx is not None
    _baresip_config(tmp_path / "baresip", product.sip_port, _tone(tmp_path / "tone.wav"))
    phone = subprocess.Popen(
        ["baresip", "-f", str(tmp_path / "baresip")],
        stdin=subprocess.DEVNULL,
        stdout=(tmp_path / "baresip.log").open("w"),
        stderr=subprocess.STDOUT,
    )
    paths = _paths(product)
    finished = paths.calls / "calls"
    try:
        _wait_for_registration(pbx.registration, phone, tmp_path / "baresip.log")
        _call(product, f"*44{SOFTPHONE}", tmp_path)  # kept: *44 before the number
        _call(product, SOFTPHONE, tmp_path)  # on demand, not asked: dropped
        _wait_for(lambda: len(list(finished.glob("*.json"))) == 2)
    finally:
        phone.terminate()
        phone.wait(timeout=10)
    _run_worker(paths, smtp_port)
    assert list(finished.glob("*.json")) == []
    assert list((paths.calls / "pcaps").glob("*.pcap")) == []
    assert len(list(paths.archive.rglob("*.opus"))) == 1

    with httpx.Client(base_url=product.base_url) as http:
        owner, admin, colleague = (_token(http, u) for u in (CALLER, "admin", "1003"))
        mine = http.get("/api/v1/recordings", headers=owner).json()
        assert mine["total"] == 1
        recording = mine["items"][0]
        assert (recording["user"], recording["caller"], recording["called"]) == (
            CALLER,
            CALLER,
            SOFTPHONE,
        )
        assert recording["duration_seconds"] > 1
        assert http.get("/api/v1/recordings", headers=admin).json()["total"] == 1
        assert http.get("/api/v1/recordings", headers=colleague).json()["total"] == 0
        rid = recording["id"]
        assert http.get(f"/api/v1/recordings/{rid}", headers=colleague).status_code == 404
        searched = http.get("/api/v1/recordings", headers=admin, params={"number": SOFTPHONE})
        assert searched.json()["total"] == 1
        assert (
            http.get("/api/v1/recordings", headers=admin, params={"call_center": "7001"}).json()[
                "total"
            ]
            == 0
        )

        _play_in_the_portal(product.base_url, rid)

        labelled = http.put(
            f"/api/v1/recordings/{rid}/labels", headers=owner, json={"labels": ["complaint"]}
        )
        assert labelled.json()["labels"] == ["complaint"]
        assert (
            http.get("/api/v1/recordings", headers=admin, params={"label": "complaint"}).json()[
                "total"
            ]
            == 1
        )

        sent = http.post(
            f"/api/v1/recordings/{rid}/mail", headers=owner, json={"to": "boss@example.com"}
        )
        assert sent.status_code == 202
        _run_worker(paths, smtp_port)
        assert len(mails.messages) == 1
        payload = mails.messages[0].get_payload(decode=True)
        assert isinstance(payload, bytes)
        link = re.search(r"http://\S+", payload.decode())
        assert link is not None and link.group(0).startswith(product.base_url)
        audio = httpx.get(link.group(0))
        assert (audio.status_code, audio.content[:4]) == (200, b"OggS")
        assert "boss@example.com" not in audio.text

        export = http.post(f"/api/v1/recordings/{rid}/download?wav=true", headers=admin).json()
        wav = http.get(export["url"])
        assert wav.content[:4] == b"RIFF"
        log = http.get(f"/api/v1/recordings/{rid}/access", headers=admin).json()
        assert [entry["action"] for entry in log] == ["play", "label", "mail", "mail", "export"]
        assert log[3]["actor"] == "boss@example.com"

        # The licence is applied live: without it, *44 before a number is refused.
        changed = http.patch(
            f"/api/v1/tenants/demo/users/{CALLER}",
            headers=admin,
            json={"licences": {"call_center": "premium", "recording": None}},
        )
        assert changed.status_code == 200, changed.text
    _wait_for(lambda: _refused(product, f"*44{SOFTPHONE}", tmp_path))


def _refused(product: ProductThread, to: str, work_dir: Path) -> bool:
    result = asyncio.run(
        run_sipp(
            "ext_call_fails_403.xml",
            work_dir=work_dir,
            remote=("127.0.0.1", product.sip_port),
            variables={"from": CALLER, "to": to, "media_port": free_port()},
            extra=["-au", CALLER, "-ap", f"pw{CALLER}"],
        )
    )
    return result.returncode == 0


def _play_in_the_portal(base_url: str, recording_id: int) -> None:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=require_chromium(), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.goto(f"{base_url}/recordings/")
            page.fill("#login-username", "admin")
            page.fill("#login-password", "pwadmin")
            page.click("#login-form button[type=submit]")
            row = page.locator(f"#results tr[data-id='{recording_id}']")
            row.locator("button.play").click()
            page.wait_for_function(
                "() => { const a = document.getElementById('player');"
                " return a.readyState >= 1 && isFinite(a.duration) && a.duration > 0; }",
                timeout=15000,
            )
            duration = page.evaluate("document.getElementById('player').duration")
            assert duration > 1
        finally:
            browser.close()


def test_the_retention_purge_is_scheduled_with_rq_cron(product: ProductThread) -> None:
    paths = _paths(product)
    scheduler = JsonCronScheduler(connection=Redis.from_url(REDIS_URL))
    saved = dict(os.environ)
    os.environ.update(paths.environment())
    try:
        scheduler.load_config_from_file("cti.recording_cron")
    finally:
        os.environ.clear()
        os.environ.update(saved)
    jobs = {getattr(job.func, "__name__", ""): job for job in scheduler.get_jobs()}
    assert set(jobs) == {"purge_expired_recordings", "requeue_stale_calls"}
    assert jobs["purge_expired_recordings"].cron == "17 3 * * *"
    assert {job.queue_name for job in jobs.values()} == {paths.queue_name}
