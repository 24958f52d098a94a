"""Eco pages: the zone page and the joint case page."""

from django.urls import path

from jingwu.eco import views

urlpatterns = [
    path("", views.zone_page, name="eco_zone"),
    path("incidents/", views.zone_incidents, name="eco_incidents"),
    path("cases/<int:case_id>/", views.case_page, name="eco_case"),
    path("cases/<int:case_id>/<str:action>/", views.case_action, name="eco_case_action"),
]
