"""The admin page for catalog updates: upload, report and difference, approve, watch progress.

The page itself is static markup; ``static/updates.js`` drives it through the JSON API
(``/api/v1/admin/catalog/updates``) with the session's CSRF token in a header.
"""

from __future__ import annotations

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse

from service.deps import CatalogUpdater, UpdatesDep
from service.web.pages import staff_context, templates

router = APIRouter(include_in_schema=False)


def install_admin_pages(app: FastAPI) -> None:
    """Mount the admin pages."""
    app.include_router(router)


@router.get("/console/updates", response_class=HTMLResponse)
def updates_page(request: Request, caller: CatalogUpdater, updates: UpdatesDep) -> HTMLResponse:
    """Catalog and directory updates (admins)."""
    return templates.TemplateResponse(
        request,
        "updates.html",
        staff_context(
            caller,
            "updates",
            max_upload_mb=updates.max_upload_bytes // 2**20,
        ),
        headers={"Cache-Control": "no-store"},
    )
