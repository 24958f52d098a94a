"""The printable sheet of a plan's checkpoint QR codes (PDF, A4, six codes a page).

Each code holds the URL of the check-in page with the checkpoint's signed token, so a phone
camera opens the page and the logged-in officer checks in with one tap. Codes are drawn as
vector squares (crisp at any print size); Chinese text uses reportlab's built-in CID font
``STSong-Light``, so no font file is needed.
"""

from __future__ import annotations

import io
from urllib.parse import quote

import segno
from django.utils.translation import gettext as _
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen.canvas import Canvas

from jingwu.audit import services as audit
from jingwu.jointcmd.models import PatrolPlan
from jingwu.jointcmd.services.access import require_staff
from jingwu.jointcmd.services.patrols import qr_token
from jingwu.orgs.services import Actor

FONT = "STSong-Light"
COLS, ROWS = 2, 3


def _font() -> str:
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    return FONT


def checkin_url(base_url: str, plan_id: int, token: str) -> str:
    """The check-in page a checkpoint's code opens."""
    return f"{base_url.rstrip('/')}/patrols/{plan_id}/scan/?t={quote(token)}"


def _draw_code(c: Canvas, data: str, x: float, y: float, size: float) -> None:
    qr = segno.make(data, error="m", micro=False)
    matrix = list(qr.matrix)
    quiet = 4
    n = len(matrix) + 2 * quiet
    cell = size / n
    c.setFillColorRGB(0, 0, 0)
    for r, row in enumerate(matrix):
        for col, dark in enumerate(row):
            if dark:
                c.rect(
                    x + (col + quiet) * cell,
                    y + size - (r + quiet + 1) * cell,
                    cell,
                    cell,
                    stroke=0,
                    fill=1,
                )


def qr_sheet_pdf(*, actor: Actor, plan: PatrolPlan, base_url: str) -> bytes:
    """The PDF of all checkpoint codes of ``plan`` (the plan's staff only: a code is a key)."""
    require_staff(actor, plan.owner_id)
    audit.record(
        action="export",
        component="jointcmd",
        user=actor.user,
        object_type="patrol_qr_sheet",
        object_id=plan.pk,
    )
    font = _font()
    buf = io.BytesIO()
    c = Canvas(buf, pagesize=A4)
    c.setTitle(_("%(plan)s 巡逻点二维码") % {"plan": plan.name})
    width, height = A4
    cell_w, cell_h = (width - 30 * mm) / COLS, (height - 50 * mm) / ROWS
    cps = list(plan.checkpoints.all())
    per_page = COLS * ROWS
    for i, cp in enumerate(cps):
        if i % per_page == 0:
            if i:
                c.showPage()
            c.setFont(font, 15)
            c.drawString(
                15 * mm, height - 18 * mm, _("%(plan)s 巡逻点二维码") % {"plan": plan.name}
            )
            c.setFont(font, 9)
            c.drawString(
                15 * mm,
                height - 25 * mm,
                _("%(org)s　共 %(n)d 个巡逻点　请张贴于巡逻点醒目位置，巡逻时扫码签到。")
                % {"org": plan.owner.name, "n": len(cps)},
            )
        k = i % per_page
        x0 = 15 * mm + (k % COLS) * cell_w
        y0 = height - 35 * mm - (k // COLS + 1) * cell_h
        size = min(cell_w, cell_h) - 22 * mm
        _draw_code(
            c,
            checkin_url(base_url, plan.pk, qr_token(cp)),
            x0 + (cell_w - size) / 2,
            y0 + 16 * mm,
            size,
        )
        c.setFont(font, 13)
        c.drawCentredString(x0 + cell_w / 2, y0 + 10 * mm, f"{cp.seq}. {cp.name}")
        c.setFont(font, 8)
        c.drawCentredString(
            x0 + cell_w / 2,
            y0 + 5 * mm,
            _("%(lat).5f, %(lon).5f　签到半径 %(r)d 米")
            % {"lat": cp.lat, "lon": cp.lon, "r": cp.radius_m},
        )
        c.setStrokeColorRGB(0.7, 0.7, 0.7)
        c.setDash(3, 3)
        c.rect(x0 + 2 * mm, y0 + 2 * mm, cell_w - 4 * mm, cell_h - 4 * mm, stroke=1, fill=0)
        c.setDash()
    c.showPage()
    c.save()
    return buf.getvalue()
