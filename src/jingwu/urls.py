"""URL configuration: the pages, the admin, the JSON API and the health check."""

from django.contrib import admin
from django.urls import include, path

from jingwu.api import api
from jingwu.console import views as console_views

urlpatterns = [
    path("healthz", console_views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("disputes/", include("jingwu.disputes.urls")),
    path("counter/", include("jingwu.counter.urls")),
    path("figures/", include("jingwu.analytics.urls")),
    path("eco/", include("jingwu.eco.urls")),
    path("", include("jingwu.jointcmd.urls")),
    path("", include("jingwu.orgs.urls")),
    path("", include("jingwu.console.urls")),
]
