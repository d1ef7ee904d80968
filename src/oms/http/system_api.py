"""Health, readiness, the error catalogue, jobs and API keys over HTTP."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel

from oms.core import auth, jobs
from oms.core.errors import CATALOGUE, NotFound
from oms.core.health import readiness
from oms.core.paging import Page, Paging
from oms.http.deps import CurrentActor, CurrentPrincipal, Db, requires

__all__ = ["router"]

router = APIRouter()


class ErrorInfo(BaseModel):
    code: str
    status: int
    title: str


class JobOut(BaseModel):
    id: str
    topic: str
    status: str
    attempts: int
    available_at: datetime
    created_at: datetime
    processed_at: datetime | None
    last_error: str | None
    payload: dict[str, Any]


class ApiKeyIn(BaseModel):
    role: auth.Role
    name: str = ""


class ApiKeyOut(BaseModel):
    key_id: str
    role: str
    api_key: str


class ApiKeyInfoOut(BaseModel):
    """A key as a list shows it: never the key, at most its last 4 characters."""

    id: str
    name: str
    role: str
    hint: str | None
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


def _key_out(info: auth.ApiKeyInfo) -> ApiKeyInfoOut:
    return ApiKeyInfoOut.model_validate(info, from_attributes=True)


@router.get("/healthz", tags=["system"])
def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get("/readyz", tags=["system"], responses={503: {"description": "not ready"}})
def readyz(db: Db) -> dict[str, str]:
    """The database answers and its schema is at the newest migration."""
    return readiness(db)


@router.get("/api/v1/errors", tags=["system"])
def error_catalogue() -> list[ErrorInfo]:
    """Every error code the API can answer with."""
    return [
        ErrorInfo(code=code, status=cls.http_status, title=cls.title)
        for code, cls in sorted(CATALOGUE.items())
    ]


@router.get("/api/v1/errors/{code}", tags=["system"])
def error_info(code: str) -> ErrorInfo:
    """What one error code means (the ``type`` of every problem points here)."""
    cls = CATALOGUE.get(code)
    if cls is None:
        raise NotFound("no such error code", code=code)
    return ErrorInfo(code=code, status=cls.http_status, title=cls.title)


@router.get("/api/v1/jobs", tags=["jobs"], dependencies=[requires("jobs:read")])
def list_jobs(
    principal: CurrentPrincipal, db: Db, page: Paging, status: str | None = None
) -> Page[JobOut]:
    """Outbox messages of this tenant, newest first; ``status=dead`` for dead letters."""
    found = jobs.job_page(db, tenant_id=principal.tenant_id, status=status, page=page)
    items = [JobOut.model_validate(job, from_attributes=True) for job in found.items]
    return Page[JobOut](items=items, next_cursor=found.next_cursor, has_more=found.has_more)


@router.post("/api/v1/jobs/{job_id}/retry", tags=["jobs"], dependencies=[requires("jobs:retry")])
def retry_job(job_id: str, principal: CurrentPrincipal, db: Db) -> JobOut:
    """Queue a dead letter again."""
    job = jobs.retry_job(db, tenant_id=principal.tenant_id, job_id=job_id)
    return JobOut.model_validate(job, from_attributes=True)


@router.post(
    "/api/v1/api-keys",
    tags=["access"],
    status_code=201,
    dependencies=[requires("keys:manage")],
)
def create_api_key(body: ApiKeyIn, principal: CurrentPrincipal, db: Db) -> ApiKeyOut:
    """Issue a key for this tenant. The key is in this answer and nowhere else, ever."""
    created = auth.create_api_key(
        db, tenant_id=principal.tenant_id, role=body.role.value, name=body.name
    )
    return ApiKeyOut(key_id=created.key_id, role=created.role, api_key=created.api_key)


@router.get("/api/v1/api-keys", tags=["access"], dependencies=[requires("keys:manage")])
def list_api_keys(
    principal: CurrentPrincipal,
    db: Db,
    page: Paging,
) -> Page[ApiKeyInfoOut]:
    """This tenant's keys, oldest first, revoked ones included; follow ``next_cursor``."""
    found = auth.list_api_keys(
        db, tenant_id=principal.tenant_id, cursor=page.cursor, limit=page.limit
    )
    items = [_key_out(i) for i in found.items]
    return Page[ApiKeyInfoOut](items=items, next_cursor=found.next_cursor, has_more=found.has_more)


@router.delete("/api/v1/api-keys/{key_id}", tags=["access"], dependencies=[requires("keys:manage")])
def revoke_api_key(key_id: str, actor: CurrentActor, db: Db) -> ApiKeyInfoOut:
    """Revoke a key: refused everywhere within a second. Revoking it again changes nothing."""
    return _key_out(auth.revoke_api_key(db, actor, key_id))
