"""Figures pages."""

from django.urls import path

from jingwu.analytics import views

urlpatterns = [path("", views.figures_page, name="figures")]
