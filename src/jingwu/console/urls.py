"""Console pages."""

from django.urls import path

from jingwu.console import live, views

urlpatterns = [
    path("", views.home, name="home"),
    path("map/", views.jurisdiction_map, name="map"),
    path("events/", views.events_stream, name="events"),
    path("console/", live.live_console, name="console"),
]
