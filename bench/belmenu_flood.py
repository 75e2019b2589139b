"""What a Bel-me-nu request costs the platform, by how far it gets (docs/group-services.md).

One app (uvicorn in a thread, Redis, SQLite, the fake call control), one client sending requests
one after another over HTTP; per kind of request p50 and p99, and the ratio to `GET /healthz`
measured in the same run:
- refused for its origin (403): the button looked up, nothing counted;
- a flood from one address (429): the button looked up, one Redis script;
- accepted (202): the button, the number parsed and three Redis scripts, click-to-dial started.

    .venv/bin/python bench/belmenu_flood.py [--requests 500]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

_ROOT = str(Path(__file__).resolve().parents[1])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

import httpx  # noqa: E402
from sqlalchemy import create_engine  # noqa: E402

from cti.app import create_app  # noqa: E402
from cti.belmenu import BelmenuLimits, Limit  # noqa: E402
from cti.passwords import TEST_COST, hash_password  # noqa: E402
from cti.provisioning_demo import seed_demo_company  # noqa: E402
from cti.settings import CtiSettings  # noqa: E402
from provisioning.belmenu import BelmenuButtons, ButtonSpec  # noqa: E402
from provisioning.db import migrate  # noqa: E402
from provisioning.service import ProvisioningService  # noqa: E402
from tests.cti.cti_fake_control import FakeControl  # noqa: E402
from tests.cti.cti_redis_testkit import REDIS_URL, new_prefix  # noqa: E402
from tests.cti.cti_server import TOKEN_SECRET, ThreadServer  # noqa: E402

SITE = "https://www.bakker.nl"
LIMITS = BelmenuLimits(address=Limit(5, 600), button=Limit(10**7, 3600), number=Limit(5, 3600))


def percentile(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))]


def timed(send: Callable[[int], httpx.Response], expected: int, n: int) -> list[float]:
    samples = []
    for i in range(n):
        start = time.perf_counter()
        answer = send(i)
        samples.append(time.perf_counter() - start)
        assert answer.status_code == expected, answer.text
    return samples


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=500)
    n = parser.parse_args().requests
    var = Path(tempfile.mkdtemp())
    database_url = f"sqlite:///{var / 'opencc.db'}"
    engine = create_engine(database_url)
    migrate(engine)
    service = ProvisioningService(engine, partial(hash_password, cost=TEST_COST))
    seed_demo_company(service)
    button = BelmenuButtons(service).create("bench", "demo", ButtonSpec("Bel", "1001", (SITE,)))
    prefix = new_prefix()
    control = FakeControl(REDIS_URL, prefix)
    settings = CtiSettings(
        token_secret=TOKEN_SECRET, redis_url=REDIS_URL, key_prefix=prefix,
        database_url=database_url, password_cost=TEST_COST, provisioning=service,
        control=control, belmenu_limits=LIMITS,
    )  # fmt: skip
    server = ThreadServer(create_app(settings)).start()
    url = f"/api/v1/public/belmenu/{button.id}"
    try:
        with httpx.Client(base_url=server.base_url) as http:

            def ask(origin: str, address: str, number: str) -> httpx.Response:
                headers = {"Origin": origin, "X-Forwarded-For": address}
                return http.post(url, json={"number": number}, headers=headers)

            def accepted(i: int) -> httpx.Response:
                return ask(SITE, f"10.{i // 65536}.{i // 256 % 256}.{i % 256}", f"0612{i:06d}")

            for _ in range(LIMITS.address.requests):  # the flooder's budget spent
                ask(SITE, "192.0.2.1", "x")
            kinds = {
                "GET /healthz (baseline)": timed(lambda _: http.get("/healthz"), 200, n),
                "foreign origin (403)": timed(
                    lambda _: ask("https://evil.example", "192.0.2.2", "0612345678"), 403, n
                ),
                "flood, one address (429)": timed(
                    lambda _: ask(SITE, "192.0.2.1", "0612345678"), 429, n
                ),
                "accepted (202)": timed(accepted, 202, n),
            }
    finally:
        server.stop()
        control.close()
        engine.dispose()
    base = statistics.median(kinds["GET /healthz (baseline)"])
    print(f"{n} requests each, one client, sequential")
    for label, samples in kinds.items():
        p50, p99 = percentile(samples, 0.5), percentile(samples, 0.99)
        print(
            f"{label:<26} p50 {p50 * 1e3:7.2f} ms  p99 {p99 * 1e3:7.2f} ms  "
            f"p50 x{p50 / base:5.2f} of the baseline"
        )


if __name__ == "__main__":
    main()
