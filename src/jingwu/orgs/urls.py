"""Log-in and log-out pages."""

from django.urls import path

from jingwu.orgs import views

urlpatterns = [
    path("login/", views.login_page, name="login"),
    path("logout/", views.logout_page, name="logout"),
]
