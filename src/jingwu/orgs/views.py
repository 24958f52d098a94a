"""Pages: log in, log out, and the lockout answer."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import login, logout
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from jingwu.errors import DomainError
from jingwu.orgs import services


@require_http_methods(["GET", "POST"])
def login_page(request: HttpRequest) -> HttpResponse:
    error, username = "", ""
    if request.method == "POST":
        username = request.POST.get("username", "").strip()
        try:
            user = services.log_in(
                request=request, username=username, password=request.POST.get("password", "")
            )
        except DomainError as exc:
            error = str(exc.msg)
        else:
            login(request, user)
            nxt = request.POST.get("next") or "/"
            safe = url_has_allowed_host_and_scheme(nxt, allowed_hosts={request.get_host()})
            return redirect(nxt if safe else "/")
    status = 400 if error else 200
    return render(
        request,
        "orgs/login.html",
        {"error": error, "username": username, "next": request.GET.get("next", "")},
        status=status,
    )


@require_http_methods(["POST"])
def logout_page(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect("/login/")


def locked_out(
    request: HttpRequest, credentials: Any = None, *args: Any, **kwargs: Any
) -> HttpResponse:
    """django-axes' answer once an account is locked: JSON for the API, a page otherwise."""
    msg = _("连续登录失败次数过多，账号已锁定 10 分钟。")
    if request.path.startswith("/api/"):
        return JsonResponse(
            {"detail": [{"type": "locked_out", "msg": msg, "loc": ["username"]}]}, status=403
        )
    return render(request, "orgs/login.html", {"error": msg, "username": ""}, status=403)
