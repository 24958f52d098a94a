"""Dispute pages."""

from django.urls import path

from jingwu.disputes import views

app_name = "disputes"
urlpatterns = [
    path("", views.board, name="board"),
    path("board/leads/", views.board_leads, name="board_leads"),
    path("leads/<int:lead_id>/<str:action>/", views.lead_action, name="lead_action"),
    path("cases/", views.case_list, name="cases"),
    path("cases/<int:case_id>/", views.case_page, name="case"),
    path("cases/<int:case_id>/timeline/", views.case_timeline, name="case_timeline"),
    path("cases/<int:case_id>/agreement.<str:fmt>", views.agreement_file, name="agreement"),
    path("cases/<int:case_id>/<str:action>/", views.case_action, name="case_action"),
    path("from-incident/<int:incident_id>/", views.from_incident, name="from_incident"),
    path("meetings/", views.meeting_list, name="meetings"),
    path("meetings/<int:meeting_id>/", views.meeting_page, name="meeting"),
    path("meetings/<int:meeting_id>/<str:action>/", views.meeting_page, name="meeting_action"),
    path("risk/", views.risk_page, name="risk"),
    path("figures/", views.figures_page, name="figures"),
]
