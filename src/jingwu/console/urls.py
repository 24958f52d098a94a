"""Console pages."""

from django.urls import path

from jingwu.console import views

urlpatterns = [
    path("", views.home, name="home"),
    path("map/", views.jurisdiction_map, name="map"),
    path("events/", views.events_stream, name="events"),
]
