"""The JSON API root: one NinjaAPI, its authentication and the one translation of errors.

Routers live in each app's ``api.py`` and are mounted here; nothing else imports them.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import SessionAuth

from jingwu.audit import services as audit
from jingwu.errors import DomainError, Forbidden
from jingwu.orgs.auth import BearerTokenAuth

api = NinjaAPI(
    title="Jingwu 警务 API",
    version="1",
    description="智慧警务站平台接口。Authenticate with `POST /api/v1/auth/token`, then send "
    '`Authorization: Bearer <token>`. Errors: `{"detail": [{"type", "msg", "loc"}]}`.',
    auth=[BearerTokenAuth(), SessionAuth()],
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
)


def _error(request: HttpRequest, status: int, detail: list[dict[str, object]]) -> HttpResponse:
    return api.create_response(request, {"detail": detail}, status=status)


@api.exception_handler(DomainError)
def _domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    if isinstance(exc, Forbidden):
        # Recorded here, after the edge's transaction rolled back, so the denial stays on record.
        audit.record(
            action="denied",
            component="api",
            object_type="path",
            object_id=request.path[:64],
            outcome="denied",
            request=request,
        )
    return _error(request, exc.status, exc.detail())


# Pydantic's English messages, mapped to translatable ones by error type.
_PYDANTIC_MESSAGES = {
    "missing": lambda: _("此字段为必填项。"),
    "float_parsing": lambda: _("请输入数字。"),
    "float_type": lambda: _("请输入数字。"),
    "int_parsing": lambda: _("请输入整数。"),
    "int_type": lambda: _("请输入整数。"),
    "string_type": lambda: _("请输入文本。"),
    "string_too_long": lambda: _("文本过长。"),
    "string_too_short": lambda: _("文本过短。"),
    "enum": lambda: _("未知的取值，请从允许的选项中选择。"),
    "literal_error": lambda: _("未知的取值，请从允许的选项中选择。"),
    "json_invalid": lambda: _("请求体不是有效的 JSON。"),
    "model_attributes_type": lambda: _("请求体必须是 JSON 对象。"),
    "dict_type": lambda: _("此处应为 JSON 对象。"),
    "list_type": lambda: _("此处应为列表。"),
    "bool_parsing": lambda: _("请输入 true 或 false。"),
    "datetime_parsing": lambda: _("请输入日期时间（ISO 8601）。"),
    "datetime_from_date_parsing": lambda: _("请输入日期时间（ISO 8601）。"),
    "date_from_datetime_parsing": lambda: _("请输入日期（YYYY-MM-DD）。"),
    "date_parsing": lambda: _("请输入日期（YYYY-MM-DD）。"),
    "finite_number": lambda: _("请输入有限的数字。"),
}


@api.exception_handler(ValidationError)
def _validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    detail = []
    for err in exc.errors:
        kind = str(err.get("type", "invalid"))
        message = _PYDANTIC_MESSAGES.get(kind)
        detail.append(
            {
                "type": kind,
                "msg": message() if message else str(err.get("msg", _("取值无效。"))),
                "loc": [p for p in err.get("loc", ()) if p not in ("body", "payload", "query")],
            }
        )
    return _error(request, 422, detail)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return _error(
        request,
        401,
        [
            {
                "type": "unauthenticated",
                "msg": _("请先登录：请求须携带有效的 Bearer 令牌。"),
                "loc": [],
            }
        ],
    )


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if exc.status_code == 400 and str(exc).startswith("Cannot parse request body"):
        return _error(
            request,
            400,
            [{"type": "json_invalid", "msg": _("请求体不是有效的 JSON。"), "loc": ["body"]}],
        )
    return _error(request, exc.status_code, [{"type": "error", "msg": str(exc), "loc": []}])


def _mount() -> None:
    # Imported here, not at module top, so that each app's router is built after settings.
    from jingwu.analytics.api import router as analytics_router
    from jingwu.areas.api import router as areas_router
    from jingwu.counter.api import router as counter_router
    from jingwu.disputes.api import router as disputes_router
    from jingwu.eco.api import router as eco_router
    from jingwu.incidents.api import router as incidents_router
    from jingwu.jointcmd.api import patrols_router
    from jingwu.jointcmd.api import router as jointcmd_router
    from jingwu.orgs.api import orgs_router
    from jingwu.orgs.api import router as auth_router
    from jingwu.units.api import cameras_router
    from jingwu.units.api import router as units_router

    api.add_router("/auth", auth_router)
    api.add_router("/orgs", orgs_router)
    api.add_router("/areas", areas_router)
    api.add_router("/units", units_router)
    api.add_router("/cameras", cameras_router)
    api.add_router("/incidents", incidents_router)
    api.add_router("/analytics", analytics_router)
    api.add_router("/disputes", disputes_router)
    api.add_router("/counter", counter_router)
    api.add_router("/jointcmd", jointcmd_router)
    api.add_router("/patrols", patrols_router)
    api.add_router("/eco", eco_router)


_mount()
