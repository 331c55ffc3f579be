"""Domain exceptions of the service, and their mapping to HTTP status codes and Chinese messages.

Every error response has the shape
``{"error": {"code": "machine_readable_code", "message": "中文说明", "fields": [...]}}``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, ClassVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

logger = logging.getLogger(__name__)

HtmlErrorRenderer = Callable[[Request, "ServiceError"], Response | None]
"""Renders a service error as a page for browser routes; ``None`` falls back to JSON."""


class ServiceError(Exception):
    """Base of errors shown to clients."""

    status_code = 400
    code = "bad_request"
    message = "请求有误"
    headers: ClassVar[dict[str, str] | None] = None

    def __init__(
        self, message: str | None = None, fields: list[dict[str, Any]] | None = None
    ) -> None:
        """Create the error with an optional Chinese message and field details."""
        super().__init__(message or self.message)
        self.message = message or self.message
        self.fields = fields or []


class NotFound(ServiceError):
    """The thing asked for does not exist."""

    status_code = 404
    code = "not_found"
    message = "未找到"


class NotAuthenticated(ServiceError):
    """No valid console session or bearer token (deny by default)."""

    status_code = 401
    code = "not_authenticated"
    message = "请先登录，或提供有效的访问令牌"
    headers: ClassVar[dict[str, str] | None] = {"WWW-Authenticate": "Bearer"}


class CsrfFailed(ServiceError):
    """A state-changing request authenticated by cookie without its CSRF token."""

    status_code = 403
    code = "csrf_failed"
    message = "安全校验未通过（缺少或错误的 CSRF 令牌），请刷新页面后重试"


class NotReady(ServiceError):
    """The service is still loading its catalog or index."""

    status_code = 503
    code = "starting"
    message = "服务正在启动，请稍后再试"


_HTTP_MESSAGES = {
    400: ("bad_request", "请求体无法解析，请使用 UTF-8 编码的 JSON"),
    404: ("not_found", "未找到该地址"),
    405: ("method_not_allowed", "不支持该请求方法"),
    413: ("payload_too_large", "请求内容过大"),
}

_PYDANTIC_MESSAGES = {
    "missing": "必填项未填写",
    "string_too_long": "内容过长",
    "string_too_short": "内容过短",
    "int_parsing": "须为整数",
    "int_type": "须为整数",
    "bool_parsing": "须为是/否（true/false）",
    "greater_than_equal": "数值过小",
    "less_than_equal": "数值过大",
    "enum": "不是可选的取值",
    "literal_error": "不是可选的取值",
    "string_pattern_mismatch": "格式不正确",
    "json_invalid": "请求体不是有效的 JSON",
    "model_attributes_type": "请求体须为 JSON 对象",
    "dict_type": "请求体须为 JSON 对象",
}


def error_body(
    code: str, message: str, fields: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """The structured error body."""
    return {"error": {"code": code, "message": message, "fields": fields or []}}


def set_html_error_renderer(app: FastAPI, renderer: HtmlErrorRenderer) -> None:
    """Let browser pages show service errors as pages (the API keeps its JSON bodies).

    Args:
        app: The application.
        renderer: Called for every :class:`ServiceError`; returns a page for the routes it
            owns (e.g. ``/console``) and ``None`` for the others.
    """
    app.state.html_error_renderer = renderer


def install_error_handlers(app: FastAPI) -> None:
    """Map domain exceptions, validation errors and HTTP errors to structured JSON bodies."""

    @app.exception_handler(ServiceError)
    async def _service_error(request: Request, exc: ServiceError) -> Response:
        renderer: HtmlErrorRenderer | None = getattr(request.app.state, "html_error_renderer", None)
        if renderer is not None:
            page = renderer(request, exc)
            if page is not None:
                return page
        return JSONResponse(
            error_body(exc.code, exc.message, exc.fields),
            status_code=exc.status_code,
            headers=exc.headers,
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        fields = []
        for err in exc.errors():
            loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path")]
            reason = _PYDANTIC_MESSAGES.get(str(err.get("type")), "取值无效")
            fields.append({"field": ".".join(loc), "reason": reason})
        return JSONResponse(
            error_body("invalid_request", "请求参数有误，请检查后重试", fields), status_code=422
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code, message = _HTTP_MESSAGES.get(exc.status_code, ("http_error", "请求无法处理"))
        return JSONResponse(
            error_body(code, message), status_code=exc.status_code, headers=exc.headers
        )

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        logger.exception("unhandled error", exc_info=exc)
        return JSONResponse(
            error_body("internal_error", "服务内部错误，请稍后再试"), status_code=500
        )
