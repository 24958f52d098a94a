"""Joint-command pages (``/jointcmd/…``) and patrol pages (``/patrols/…``)."""

from django.urls import path

from jingwu.jointcmd import views

urlpatterns = [
    path("jointcmd/", views.console, name="jointcmd_console"),
    path("jointcmd/console/incidents/", views.console_incidents, name="jointcmd_incidents"),
    path("jointcmd/console/posts/", views.console_posts, name="jointcmd_posts"),
    path("jointcmd/console/tasks/", views.console_tasks, name="jointcmd_tasks"),
    path(
        "jointcmd/console/tasks/<str:action>/",
        views.console_task_action,
        name="jointcmd_task_give",
    ),
    path(
        "jointcmd/console/tasks/<int:task_id>/<str:action>/",
        views.console_task_action,
        name="jointcmd_task_action",
    ),
    path("jointcmd/roster/", views.roster_board, name="jointcmd_roster"),
    path("jointcmd/roster/<str:action>/", views.roster_action, name="jointcmd_roster_action"),
    path("jointcmd/handovers/", views.handover_list, name="jointcmd_handovers"),
    path("jointcmd/handovers/<int:handover_id>/", views.handover_page, name="jointcmd_handover"),
    path(
        "jointcmd/handovers/<int:handover_id>/<str:action>/",
        views.handover_action,
        name="jointcmd_handover_action",
    ),
    path("jointcmd/problems/", views.problem_list, name="jointcmd_problems"),
    path("jointcmd/problems/<int:problem_id>/", views.problem_page, name="jointcmd_problem"),
    path(
        "jointcmd/problems/<int:problem_id>/<str:action>/",
        views.problem_action,
        name="jointcmd_problem_action",
    ),
    path("patrols/", views.patrol_list, name="patrols"),
    path("patrols/<int:plan_id>/", views.patrol_page, name="patrol"),
    path("patrols/<int:plan_id>/scan/", views.scan_page, name="patrol_scan"),
]
