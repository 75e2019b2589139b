"""`/healthz` (public: load balancers probe it) and Prometheus `/metrics` (behind the metrics
token, `CtiSettings.metrics_token`)."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Response, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from prometheus_client import CONTENT_TYPE_LATEST
from pydantic import BaseModel
from redis.exceptions import RedisError
from starlette.concurrency import run_in_threadpool

from common.supervision import ChildStatus
from cti.rest.deps import Services

router = APIRouter(tags=["operations"])
_metrics_bearer = HTTPBearer(auto_error=False, description="The metrics token")


class Health(BaseModel):
    status: str
    redis: bool


@router.get("/healthz", responses={503: {"model": Health}})
async def healthz(services: Services, response: Response) -> Health:
    try:
        redis_ok = bool(await services.redis.ping())
    except (RedisError, OSError):
        redis_ok = False
    if not redis_ok:
        response.status_code = 503
    return Health(status="ok" if redis_ok else "degraded", redis=redis_ok)


class ProcessHealth(BaseModel):
    name: str
    status: str
    pid: int | None
    restarts: int


class ProcessesHealth(BaseModel):
    status: str
    processes: list[ProcessHealth]


@router.get("/healthz/processes", responses={503: {"model": ProcessesHealth}})
async def processes_health(services: Services, response: Response) -> ProcessesHealth:
    """Each child process the product supervises (rtpengine, rq worker, report ingester, ...):
    `running` once its own health check passes. 503 while any is not."""
    supervisor = services.settings.processes
    states = supervisor.states() if supervisor is not None else []
    serving = all(state.status is ChildStatus.RUNNING for state in states)
    if not serving:
        response.status_code = 503
    return ProcessesHealth(
        status="ok" if serving else "degraded",
        processes=[
            ProcessHealth(name=s.name, status=s.status.value, pid=s.pid, restarts=s.restarts)
            for s in states
        ],
    )


def require_metrics_token(
    services: Services,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_metrics_bearer)],
) -> None:
    expected = services.settings.metrics_token
    if expected is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "metrics are off: set OPENCC_METRICS_TOKEN")
    # Constant-time: the comparison must not tell a guesser how much of the token it got right.
    given = credentials.credentials if credentials is not None else ""
    if not hmac.compare_digest(given.encode(), expected.encode()):
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "the metrics token is required",
            headers={"WWW-Authenticate": "Bearer"},
        )


@router.get(
    "/metrics",
    response_class=Response,
    dependencies=[Depends(require_metrics_token)],
    responses={
        200: {"content": {"text/plain": {}}},
        401: {"description": "no or a wrong metrics token"},
        404: {"description": "no metrics token configured: metrics are off"},
    },
)
async def metrics(services: Services) -> Response:
    tenants = await run_in_threadpool(services.users.tenants)
    body = await services.metrics.render(
        services.snapshots, tenants, services.fanout.stats.subscribers
    )
    return Response(body, media_type=CONTENT_TYPE_LATEST)
