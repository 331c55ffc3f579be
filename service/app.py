"""The FastAPI application factory: routers, pages, middleware, and what starts with the app."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from starlette.concurrency import run_in_threadpool

from catalog.store import CatalogStore
from indexing.bundle import BundleStore
from indexing.encoder import Encoder
from service.api import (
    admin,
    audit,
    courses,
    demand,
    health,
    match,
    occupations,
    people,
    referrals,
    regions,
    reports,
)
from service.api import updates as catalog_updates
from service.casework.audit import append_audit
from service.casework.common import SYSTEM
from service.config import Settings, get_settings
from service.database import Database
from service.errors import install_error_handlers
from service.limits import MAX_BODY_BYTES, RequestLimits
from service.outcomes_feed import current_outcomes
from service.ratelimit import RateLimit
from service.security import install_pii_filter
from service.state import ServiceState
from service.updates import UpdateJob, UpdateManager
from service.web.admin import install_admin_pages
from service.web.console import install_console
from service.web.pages import install_pages

logger = logging.getLogger(__name__)

PII_FILTERED_LOGGERS = ("", "uvicorn", "uvicorn.error", "uvicorn.access")
UPDATES_PATH = "/api/v1/admin/catalog/updates"
AUDITED_UPDATE_EVENTS = frozenset({"done", "failed"})
"""Update events the background build records itself (the routes audit the requests)."""


def install_log_filters() -> None:
    """Scrub ID and phone numbers from every log record (root and uvicorn's handlers)."""
    for name in PII_FILTERED_LOGGERS:
        install_pii_filter(logging.getLogger(name) if name else None)


def audit_update_events(database: Database) -> Callable[[UpdateJob, str], None]:
    """The catalog updates' event hook: the end of each background build goes to the audit log.

    Args:
        database: The app's database (opened before any update can run).

    Returns:
        The hook for :class:`service.updates.UpdateManager`.
    """

    def hook(job: UpdateJob, event: str) -> None:
        if event not in AUDITED_UPDATE_EVENTS:
            return
        details: dict[str, str | None] = {
            "kind": job.kind,
            "approved_by": job.approved_by,
            "catalog_version": job.catalog_version,
            "index_version": job.index_version,
            "previous_catalog_version": job.previous_catalog_version,
        }
        if job.error:
            details["error"] = job.error
        with database.session() as session:
            append_audit(
                session,
                actor=SYSTEM,
                action=f"catalog_update.{event}",
                object_type="catalog_update",
                object_id=job.job_id,
                details=details,
            )

    return hook


def create_app(settings: Settings | None = None, *, load_in_background: bool = True) -> FastAPI:
    """Build the application.

    Start-up (the lifespan, before the first request is served) installs the personal-data
    log filter, opens the database (migrating its schema to head) and loads the secret key,
    opens the catalog update area, then loads the catalog. Nothing touches the disk before
    that, so building an app only to read its OpenAPI schema has no side effects.

    Args:
        settings: Settings to use (read from the environment by default).
        load_in_background: Load the catalog on a thread so ``/api/v1/health`` answers
            "starting" meanwhile; ``False`` loads it before serving (tests).
    """
    settings = settings or get_settings()
    state = ServiceState(
        store=CatalogStore(settings.catalog_dir),
        bundles=BundleStore(settings.index_dir),
        encoder=Encoder(settings.model),
        # Every worker process notices a newly published bundle (an admin's catalog update
        # applied by another worker, or `skillmatch index`) and switches to it.
        reload_interval=settings.catalog_reload_seconds,
    )
    database = Database(settings)

    def open_updates() -> UpdateManager:
        return UpdateManager(
            settings.data_dir,
            state=state,
            today=settings.today,
            max_upload_bytes=settings.max_upload_mb * 2**20,
            on_event=audit_update_events(database),
            outcomes=lambda: current_outcomes(settings),
            keep_versions=settings.keep_versions,
        )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        install_log_filters()
        await run_in_threadpool(database.open)
        app.state.updates = await run_in_threadpool(open_updates)
        if load_in_background:
            state.load_in_background()
        else:
            state.load()
        try:
            yield
        finally:
            state.stop_watching()
            database.close()

    app = FastAPI(
        title="技能培训课程匹配服务 API",
        version="1",
        description="按人员画像和地区匹配补贴性职业技能培训项目（大规模职业技能提升培训行动）。",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.service = state
    app.state.database = database
    # Inside CORS, so refusals carry CORS headers; catalog uploads may be larger (multipart
    # framing on top of the file).
    upload_limit = settings.max_upload_mb * 2**20 + MAX_BODY_BYTES
    app.add_middleware(RequestLimits, large_bodies={UPDATES_PATH: upload_limit})
    if settings.rate_limit_per_minute:
        # Outside the size limits (refuses before a body is read), inside CORS.
        app.add_middleware(
            RateLimit,
            limit=settings.rate_limit_per_minute,
            redis_url=settings.redis_url,
            trust_proxy=settings.trust_proxy,
        )
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(settings.cors_origins),
            allow_methods=["GET", "POST"],
            allow_headers=["*"],
        )
    install_error_handlers(app)
    app.include_router(health.router)
    app.include_router(occupations.router)
    app.include_router(match.router)
    app.include_router(courses.router)
    app.include_router(demand.router)
    app.include_router(regions.router)
    app.include_router(people.router)
    app.include_router(referrals.router)
    app.include_router(reports.router)
    app.include_router(audit.router)
    app.include_router(admin.router)
    app.include_router(catalog_updates.router)
    install_pages(app)
    install_console(app)
    install_admin_pages(app)
    return app
