"""The FastAPI application factory."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from catalog.store import CatalogStore
from indexing.bundle import BundleStore
from indexing.encoder import Encoder
from service.api import courses, demand, health, match, occupations, regions
from service.config import Settings, get_settings
from service.errors import install_error_handlers
from service.limits import RequestLimits
from service.state import ServiceState
from service.web.pages import install_pages

logger = logging.getLogger(__name__)


def create_app(settings: Settings | None = None, *, load_in_background: bool = True) -> FastAPI:
    """Build the application.

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
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if load_in_background:
            state.load_in_background()
        else:
            state.load()
        yield

    app = FastAPI(
        title="技能培训课程匹配服务 API",
        version="1",
        description="按人员画像和地区匹配补贴性职业技能培训项目（大规模职业技能提升培训行动）。",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.service = state
    app.add_middleware(RequestLimits)  # inside CORS, so refusals carry CORS headers
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
    install_pages(app)
    return app
