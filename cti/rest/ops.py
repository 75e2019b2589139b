"""`/healthz` and Prometheus `/metrics`."""

from __future__ import annotations

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST
from pydantic import BaseModel
from redis.exceptions import RedisError
from starlette.concurrency import run_in_threadpool

from cti.rest.deps import Services

router = APIRouter(tags=["operations"])


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


@router.get("/metrics", response_class=Response, responses={200: {"content": {"text/plain": {}}}})
async def metrics(services: Services) -> Response:
    tenants = await run_in_threadpool(services.users.tenants)
    body = await services.metrics.render(
        services.snapshots, tenants, services.fanout.stats.subscribers
    )
    return Response(body, media_type=CONTENT_TYPE_LATEST)
