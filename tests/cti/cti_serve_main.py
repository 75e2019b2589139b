"""Child-process entry for ProcessServer: the real app from the environment, on argv[1]."""

from __future__ import annotations

import sys

import uvicorn

from cti.app import create_app
from cti.passwords import TEST_COST
from cti.settings import CtiSettings

if __name__ == "__main__":
    settings = CtiSettings.from_env(password_cost=TEST_COST, fanout_block_ms=50)
    uvicorn.run(create_app(settings), host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
