"""Run the real app under uvicorn on a free port, in a thread or in a child process."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import uvicorn
from fastapi import FastAPI

from tests.ports import free_port

TOKEN_SECRET = "test-secret-not-for-production-0123456789"
METRICS_TOKEN = "test-metrics-token-not-for-production"


def wait_until_healthy(base_url: str, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(f"{base_url}/healthz", timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"server at {base_url} did not start")
        time.sleep(0.05)


@dataclass
class ThreadServer:
    app: FastAPI
    port: int = 0

    def __post_init__(self) -> None:
        self.port = self.port or free_port()
        config = uvicorn.Config(
            self.app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="on"
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/graphql"

    def start(self) -> ThreadServer:
        self._thread.start()
        wait_until_healthy(self.base_url)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)


SERVE_SCRIPT = Path(__file__).with_name("cti_serve_main.py")


@dataclass
class ProcessServer:
    """The API as its own OS process, so a test can kill it (SIGKILL) and start it again."""

    prefix: str
    database_url: str
    port: int = 0

    def __post_init__(self) -> None:
        self.port = self.port or free_port()
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/graphql"

    def start(self) -> ProcessServer:
        env = {
            **os.environ,
            "OPENCC_KEY_PREFIX": self.prefix,
            "DATABASE_URL": self.database_url,
            "OPENCC_TOKEN_SECRET": TOKEN_SECRET,
        }
        self._process = subprocess.Popen(
            [sys.executable, str(SERVE_SCRIPT), str(self.port)], env=env
        )
        wait_until_healthy(self.base_url)
        return self

    def kill(self) -> None:
        if self._process is not None:
            self._process.kill()
            self._process.wait(timeout=10)
            self._process = None
