"""Scheduled reports in the running product: made over REST, sent by the product's own rq
worker (with its scheduler) to an aiosmtpd server, retried while the mail server is down, and
refused to whoever may not schedule them."""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
import redis
from aiosmtpd.controller import Controller

from tests.e2e.test_product_provisioning import sign_in
from tests.ports import free_port
from tests.product_harness import ProductThread
from tests.reports.test_reports_exports_and_mail import Inbox, attachments

# rq's keys carry no prefix and every worker of a database takes every job of its queues: this
# module's product works in a Redis database no other test uses.
REDIS_URL = "redis://127.0.0.1:6379/13"


@pytest.fixture(scope="module")
def smtp_port() -> int:
    return free_port()


@contextmanager
def mailing_product(var_dir: Path, smtp_port: int, redis_url: str) -> Iterator[ProductThread]:
    """The product with its rq worker (and scheduler) mailing to `smtp_port`, retrying a failed
    send every second; in a Redis database of the caller's own (rq's keys carry no prefix)."""
    with pytest.MonkeyPatch.context() as env:
        # Read by the API (when it enqueues) and by the worker it starts (when it sends).
        env.setenv("SMTP_HOST", "127.0.0.1")
        env.setenv("SMTP_PORT", str(smtp_port))
        env.setenv("SMTP_FROM", "reports@opencc.test")
        env.setenv("OPENCC_REPORT_RETRY_S", "1,1,1,1,1,1,1,1,1,1")
        running = ProductThread.start(var_dir, "schedules", rq_worker=True, redis_url=redis_url)
        try:
            yield running
        finally:
            running.stop()
            client = redis.Redis.from_url(redis_url)
            for key in client.scan_iter(match="rq:*"):
                client.delete(key)
            client.close()


@pytest.fixture(scope="module")
def product(tmp_path_factory: pytest.TempPathFactory, smtp_port: int) -> Iterator[ProductThread]:
    with mailing_product(
        tmp_path_factory.mktemp("schedules") / "var", smtp_port, REDIS_URL
    ) as running:
        yield running


def client_of(base: str, username: str) -> httpx.Client:
    answer = sign_in(base, username, f"pw{username}")
    assert answer.status_code == 200, answer.text
    bearer = {"Authorization": f"Bearer {answer.json()['access_token']}"}
    return httpx.Client(base_url=base, headers=bearer, timeout=30)


def eventually(check: Callable[[], Any], what: str, timeout: float = 60) -> Any:
    """Poll `check` until it returns something truthy (the worker runs beside the test)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.25)
    raise AssertionError(f"not seen in time: {what}")


def test_a_failed_send_is_retried_visibly_and_then_arrives(
    product: ProductThread, smtp_port: int
) -> None:
    with client_of(product.base_url, "admin") as admin:
        made = admin.post(
            "/api/v1/report-schedules",
            json={
                "report": "call-centers",
                "call_centers": ["7001", "7002"],
                "interval": "daily",
                "recipients": ["manager@example.com", "ops@example.com"],
                "format": "csv",
            },
        )
        assert made.status_code == 201, made.text
        schedule = made.json()
        assert schedule["status"] == "scheduled"
        next_run = datetime.fromisoformat(schedule["next_run_at"]).astimezone(
            ZoneInfo(schedule["time_zone"])
        )
        assert (next_run.hour, next_run.minute) == (6, 0)
        assert [s["id"] for s in admin.get("/api/v1/report-schedules").json()] == [schedule["id"]]

        # Nothing listens on the SMTP port yet: the send fails, is retried, and says why.
        sent = admin.post(f"/api/v1/report-schedules/{schedule['id']}/send")
        assert sent.status_code == 202, sent.text

        def state() -> dict[str, Any]:
            answer: dict[str, Any] = admin.get(f"/api/v1/report-schedules/{schedule['id']}").json()
            return answer

        failing = eventually(
            lambda: (now := state())["status"] == "retrying" and now["attempts"] >= 2 and now,
            "the failed send retried",
        )
        assert "refused" in failing["last_error"].lower(), failing["last_error"]
        assert failing["last_sent_at"] is None

        inbox = Inbox()
        controller = Controller(inbox, hostname="127.0.0.1", port=smtp_port)
        controller.start()
        try:
            eventually(lambda: inbox.messages, "the report mail")
            done = eventually(lambda: (now := state())["status"] == "sent" and now, "sent")
        finally:
            controller.stop()
    assert done["last_error"] is None and done["attempts"] == 0 and done["last_sent_at"]
    [message] = inbox.messages
    assert inbox.recipients == [["manager@example.com", "ops@example.com"]]
    [(name, content)] = attachments(message).items()
    assert name.startswith("call-centers-") and name.endswith("-daily.csv")
    rows = list(csv.DictReader(io.StringIO(content.decode())))
    assert {row["call_center"] for row in rows} <= {"7001", "7002"}


def test_who_may_schedule_what(product: ProductThread) -> None:
    base = product.base_url
    body = {"report": "agents", "interval": "weekly", "recipients": ["a@example.com"]}
    with client_of(base, "1001") as agent:
        assert agent.post("/api/v1/report-schedules", json=body).status_code == 403
        assert agent.get("/api/v1/report-schedules").status_code == 403
    with client_of(base, "supervisor") as supervisor, client_of(base, "admin") as admin:
        # a supervisor names the call centers it supervises, and never schedules billing data
        assert supervisor.post("/api/v1/report-schedules", json=body).status_code == 403
        usage = {**body, "report": "usage", "call_centers": ["7001"]}
        assert supervisor.post("/api/v1/report-schedules", json=usage).status_code == 403
        theirs = admin.post("/api/v1/report-schedules", json=body)
        assert theirs.status_code == 201, theirs.text
        hidden = theirs.json()["id"]
        # the admin's tenant-wide schedule is not the supervisor's to see or delete
        assert hidden not in [s["id"] for s in supervisor.get("/api/v1/report-schedules").json()]
        assert supervisor.delete(f"/api/v1/report-schedules/{hidden}").status_code == 404
        assert supervisor.get(f"/api/v1/report-schedules/{hidden}").status_code == 404
        own = supervisor.post("/api/v1/report-schedules", json={**body, "call_centers": ["7001"]})
        assert own.status_code == 201, own.text
        # Its own, and any other of its call centers' (the test above made one for 7001/7002),
        # never the tenant-wide one.
        listed = [s["id"] for s in supervisor.get("/api/v1/report-schedules").json()]
        assert own.json()["id"] in listed and hidden not in listed
        assert own.json()["id"] in [s["id"] for s in admin.get("/api/v1/report-schedules").json()]
        assert supervisor.delete(f"/api/v1/report-schedules/{own.json()['id']}").status_code == 204
        assert admin.delete(f"/api/v1/report-schedules/{hidden}").status_code == 204
        assert admin.get(f"/api/v1/report-schedules/{hidden}").status_code == 404

        for bad in (
            {**body, "recipients": ["x@example.com\r\nBcc: victim@example.org"]},
            {**body, "recipients": ["Boss <boss@example.com>"]},
            {**body, "recipients": []},
            {**body, "recipients": [f"r{i}@example.com" for i in range(21)]},
            {**body, "interval": "hourly"},
            {**body, "report": "../../etc/passwd"},
            {**body, "format": "pdf"},
            {**body, "call_centers": ["7001'; DROP TABLE x;--"]},
            {**body, "surprise": 1},
        ):
            answer = admin.post("/api/v1/report-schedules", json=bad)
            assert answer.status_code == 422, (bad, answer.text)
        unknown = admin.post("/api/v1/report-schedules", json={**body, "call_centers": ["9999"]})
        assert unknown.status_code == 422 and "9999" in unknown.text
        assert admin.get("/api/v1/report-schedules/0").status_code == 422
        assert admin.get("/api/v1/report-schedules/123456").status_code == 404
