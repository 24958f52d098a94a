"""API for disputes: leads and the directors' board, cases and their timeline, agreements,
meetings, early warning and figures — one router, mounted at ``/api/v1/disputes``.
The edges are thin: parse, call one use case, render."""

from ninja import Router

from jingwu.disputes.api import agreements, cases, figures, leads, meetings

router = Router(tags=["disputes"])
for part in (leads, cases, agreements, meetings, figures):
    router.add_router("", part.router)
