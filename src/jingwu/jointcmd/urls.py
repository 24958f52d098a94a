"""Joint-command pages (``/jointcmd/…``) and patrol pages (``/patrols/…``)."""

from django.urls import path

from jingwu.jointcmd.views import console, handovers, patrols, problems, roster

urlpatterns = [
    path("jointcmd/", console.console, name="jointcmd_console"),
    path("jointcmd/console/incidents/", console.console_incidents, name="jointcmd_incidents"),
    path("jointcmd/console/posts/", console.console_posts, name="jointcmd_posts"),
    path("jointcmd/console/tasks/", console.console_tasks, name="jointcmd_tasks"),
    path(
        "jointcmd/console/tasks/<str:action>/",
        console.console_task_action,
        name="jointcmd_task_give",
    ),
    path(
        "jointcmd/console/tasks/<int:task_id>/<str:action>/",
        console.console_task_action,
        name="jointcmd_task_action",
    ),
    path("jointcmd/roster/", roster.roster_board, name="jointcmd_roster"),
    path("jointcmd/roster/<str:action>/", roster.roster_action, name="jointcmd_roster_action"),
    path("jointcmd/handovers/", handovers.handover_list, name="jointcmd_handovers"),
    path(
        "jointcmd/handovers/<int:handover_id>/", handovers.handover_page, name="jointcmd_handover"
    ),
    path(
        "jointcmd/handovers/<int:handover_id>/<str:action>/",
        handovers.handover_action,
        name="jointcmd_handover_action",
    ),
    path("jointcmd/problems/", problems.problem_list, name="jointcmd_problems"),
    path("jointcmd/problems/<int:problem_id>/", problems.problem_page, name="jointcmd_problem"),
    path(
        "jointcmd/problems/<int:problem_id>/<str:action>/",
        problems.problem_action,
        name="jointcmd_problem_action",
    ),
    path("patrols/", patrols.patrol_list, name="patrols"),
    path("patrols/<int:plan_id>/", patrols.patrol_page, name="patrol"),
    path("patrols/<int:plan_id>/scan/", patrols.scan_page, name="patrol_scan"),
]
