"""Citizen-service pages: public ones for citizens and the waiting room, staff ones behind login."""

from django.urls import path

from jingwu.counter import views

app_name = "counter"
urlpatterns = [
    path("", views.index, name="index"),
    path("book/", views.book, name="book"),
    path("book/done/", views.book_done, name="book_done"),
    path("cancel/", views.cancel, name="cancel"),
    path("status/", views.status, name="status"),
    path("kiosk/<int:point_id>/", views.kiosk, name="kiosk"),
    path("display/<int:point_id>/", views.display, name="display"),
    path("desk/", views.desk_page, name="desk"),
    path("cases/", views.case_list, name="cases"),
    path("cases/<int:case_id>/", views.case_detail, name="case"),
    path("figures/", views.figures_page, name="figures"),
    path("capacity/", views.capacity_page, name="capacity"),
    path("circle/", views.circle_page, name="circle"),
]
