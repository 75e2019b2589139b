"""Call recording in the running product, in one place: the PBX's finished calls go to the rq
queue, the worker and the cron scheduler get the recordings' environment, and the web app gets
the portal's API (`/api/v1/recordings`) and page (`/recordings`). `cti/product.py` calls these.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from fastapi import FastAPI
from sqlalchemy import Engine

import recordings_ui
from common.child_processes import dies_with_parent
from common.job_queues import cron_command, job_queue
from common.redis_connect import sync_client
from common.supervision import ChildSpec
from cti.product_children import RQ_CRON
from cti.recording_archive import RecordingPaths, enqueue_archiving
from cti.recording_links import LinkSigner
from cti.rest import recordings as recordings_api
from provisioning.recordings import RecordingCatalogue
from provisioning.service import ProvisioningService


class ProductRecordings:
    def __init__(self, paths: RecordingPaths, redis_url: str) -> None:
        self.paths = paths
        self._redis_url = redis_url
        self.queue = job_queue(paths.queue_name, sync_client(redis_url))

    @classmethod
    def under(
        cls, var: Path, database_url: str, key_prefix: str, redis_url: str
    ) -> ProductRecordings:
        """The product's layout: rtpengine records into var/recordings, the archive is
        var/recording-archive."""
        paths = RecordingPaths(
            database_url, var / "recording-archive", var / "recordings", key_prefix
        )
        return cls(paths, redis_url)

    def on_recording_finished(self, metadata_path: Path) -> None:
        """`PbxService(on_recording_finished=...)` (runs in the SIP thread)."""
        enqueue_archiving(self.queue, metadata_path)

    def cron_spec(self, env: dict[str, str]) -> ChildSpec:
        """rq's cron scheduler with the recordings' schedule (`cti.recording_cron`), as a
        supervised child of the product (cti/product_children.py)."""
        return ChildSpec(RQ_CRON, lambda: subprocess.Popen(
            dies_with_parent(cron_command(self._redis_url, "cti.recording_cron")),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
            env={**env, **self.paths.environment()},
            start_new_session=True,
        ))  # fmt: skip

    def install(
        self,
        app: FastAPI,
        database: Engine,
        provisioning: ProvisioningService,
        token_secret: str,
        public_url: str,
    ) -> None:
        portal = recordings_api.RecordingsPortal(
            catalogue=RecordingCatalogue(database),
            provisioning=provisioning,
            archive=self.paths.archive,
            links=LinkSigner(token_secret),
            mail_queue=self.queue,
            public_url=public_url,
        )
        recordings_api.install(app, portal)
        recordings_ui.mount(app)
