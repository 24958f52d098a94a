"""Mediation sessions and the mediation agreement (调解协议书) as .docx and PDF.

The agreement follows the usual layout of a 人民调解协议书: number, parties, the facts and
the matters in dispute, the terms agreed, how and when they are performed, the number of
copies, signatures of the parties and mediators, the mediation body and the date.
ID numbers are printed masked and phones not at all: the document travels further than the
case. Both files are stored with their SHA-256, and the hashes are written into the
hash-chained audit log, so a changed file (or a changed stored hash) is detectable.
"""

from __future__ import annotations

import hashlib
import io
from datetime import date, datetime
from typing import Any

from django.utils.translation import gettext as _

from jingwu.audit.models import AuditEntry
from jingwu.audit.services import compute_hash
from jingwu.disputes.models import (
    MEDIATOR_ROLES,
    Agreement,
    Case,
    EntryKind,
    MediationSession,
    Participant,
    Stage,
)
from jingwu.disputes.services import access
from jingwu.disputes.services.common import (
    COMPONENT,
    add_entry_row,
    audit_case,
    clean_text,
    publish_case,
    touch,
)
from jingwu.engine.idnumber import mask_id_number
from jingwu.errors import Conflict, Invalid, NotFound
from jingwu.orgs.services import Actor

CN_NUMERALS = "一二三四五六七八九十"
MAX_TERMS = 20


def cn_number(n: int) -> str:
    """1 → 一, 12 → 十二, 20 → 二十 (enough for the terms of an agreement)."""
    if n <= 10:
        return CN_NUMERALS[n - 1]
    tens, ones = divmod(n, 10)
    return (
        (CN_NUMERALS[tens - 1] if tens > 1 else "") + "十" + (CN_NUMERALS[ones - 1] if ones else "")
    )


def cn_date(d: date) -> str:
    """2025-03-28 → 2025年3月28日."""
    return f"{d.year}年{d.month}月{d.day}日"


# ---------------------------------------------------------------- sessions


def record_session(
    *,
    actor: Actor,
    case_id: int,
    held_at: datetime,
    place: Any,
    summary: Any,
    agreed: bool = False,
    attendee_ids: list[int] | None = None,
    now: datetime,
) -> MediationSession:
    """Record a mediation session of a case in screening or mediation, with who attended."""
    where = clean_text(place, "place", max_len=120)
    text = clean_text(summary, "summary")
    case = access.get_case(actor=actor, case_id=case_id)
    access.require_manage(actor, case)
    if case.stage not in (Stage.SCREENING, Stage.MEDIATING):
        raise Conflict(_("只有排查或调处阶段的案件可以召开调解会。"), loc=["held_at"])
    people = list(Participant.objects.filter(case=case, pk__in=attendee_ids or []))
    if attendee_ids and len(people) != len(set(attendee_ids)):
        raise Invalid(_("参加人必须是本案参与人。"), loc=["attendee_ids"])
    session = MediationSession.objects.create(
        case=case,
        held_at=held_at,
        place=where,
        summary=text,
        agreed=agreed,
        created_by_id=actor.person_id,
    )
    session.attendees.set(people)
    add_entry_row(
        case,
        kind=EntryKind.MEDIATION_SESSION,
        text=text,
        actor=actor,
        now=now,
        happened_at=held_at,
        data={
            "session": session.pk,
            "place": where,
            "agreed": agreed,
            "attendees": [p.person.name for p in people],
        },
    )
    touch(case, now)
    audit_case("update", actor, case, detail=f"session {session.pk}")
    publish_case(case, "dispute.case_updated")
    return session


# ---------------------------------------------------------------- agreement


def _clean_terms(raw: Any) -> list[str]:
    if isinstance(raw, str):
        raw = [line for line in raw.splitlines() if line.strip()]
    if not isinstance(raw, list) or not raw:
        raise Invalid(_("请至少填写一项协议条款。"), loc=["terms"])
    if len(raw) > MAX_TERMS:
        raise Invalid(_("协议条款过多（最多 %(n)d 项）。") % {"n": MAX_TERMS}, loc=["terms"])
    terms = [str(t).strip() for t in raw]
    if any(not t or len(t) > 1000 for t in terms):
        raise Invalid(_("协议条款不能为空，每项不超过 1000 字。"), loc=["terms"])
    return terms


def draft_agreement(
    *,
    actor: Actor,
    case_id: int,
    facts: Any,
    terms: Any,
    performance: Any,
    mediation_body: Any = "",
    signed_on: date | None = None,
    now: datetime,
) -> Agreement:
    """Generate the agreement of a settled case (a new version each time), store both files
    and their hashes, and anchor the hashes in the audit chain."""
    fact_text = clean_text(facts, "facts")
    items = _clean_terms(terms)
    how = clean_text(performance, "performance")
    case = access.get_case(actor=actor, case_id=case_id)
    access.require_manage(actor, case)
    if case.stage != Stage.SETTLED:
        raise Conflict(
            _("案件处于「%(s)s」阶段：只有「化解」阶段的案件可以出具调解协议书。")
            % {"s": Stage(case.stage).label},
            loc=["stage"],
        )
    if not case.parties.exists():
        raise Conflict(_("案件还没有当事方，不能出具调解协议书。"), loc=["parties"])
    body = clean_text(mediation_body, "mediation_body", required=False, max_len=120) or _(
        "%(ws)s“e体+”多维调处室"
    ) % {"ws": case.workstation_org.name if case.workstation_org_id else ""}
    version = (
        case.agreements.order_by("-version").values_list("version", flat=True).first() or 0
    ) + 1
    content = _content(case, fact_text, items, how, body, signed_on or now.date(), version)
    docx_bytes, pdf_bytes = render_docx(content), render_pdf(content)
    agreement = Agreement.objects.create(
        case=case,
        version=version,
        facts=fact_text,
        terms=items,
        performance=how,
        mediation_body=body,
        signed_on=content["date"],
        docx=docx_bytes,
        pdf=pdf_bytes,
        docx_sha256=hashlib.sha256(docx_bytes).hexdigest(),
        pdf_sha256=hashlib.sha256(pdf_bytes).hexdigest(),
        created_by_id=actor.person_id,
        created_at=now,
    )
    from jingwu.audit import services as audit

    audit.record(
        action="create",
        component=COMPONENT,
        user=actor.user,
        object_type="dispute_agreement",
        object_id=agreement.pk,
        detail=f"docx={agreement.docx_sha256} pdf={agreement.pdf_sha256}",
    )
    add_entry_row(
        case,
        kind=EntryKind.AGREEMENT,
        actor=actor,
        now=now,
        text=_("出具调解协议书（第 %(v)d 版）。") % {"v": version},
        data={
            "agreement": agreement.pk,
            "version": version,
            "docx_sha256": agreement.docx_sha256,
            "pdf_sha256": agreement.pdf_sha256,
        },
    )
    touch(case, now)
    publish_case(case, "dispute.case_updated")
    return agreement


def _content(
    case: Case, facts: str, terms: list[str], performance: str, body: str, on: date, version: int
) -> dict[str, Any]:
    parties = [
        {
            "role": p.get_role_display(),
            "name": p.name,
            "line": p.name
            if p.kind == "organization" or not p.id_number
            else _("%(name)s，身份证号 %(id)s")
            % {"name": p.name, "id": mask_id_number(p.id_number)},
        }
        for p in case.parties.all()
    ]
    mediators = [
        f"{p.person.name}（{p.organization.name}）" if p.organization_id else p.person.name
        for p in case.participants.filter(role__in=MEDIATOR_ROLES).select_related(
            "person", "organization"
        )
    ]
    return {
        "number": f"{case.number}-{version}",
        "parties": parties,
        "facts": facts,
        "terms": terms,
        "performance": performance,
        "copies": len(parties) + 1,
        "mediators": mediators,
        "body": body,
        "date": on,
    }


def _paragraphs(c: dict[str, Any]) -> list[tuple[str, str]]:
    """The agreement as (style, text) paragraphs; both renderers draw the same text."""
    out: list[tuple[str, str]] = [
        ("title", _("人民调解协议书")),
        ("right", _("编号：%(n)s") % {"n": c["number"]}),
    ]
    for p in c["parties"]:
        out.append(
            ("body", _("当事人（%(role)s）：%(line)s") % {"role": p["role"], "line": p["line"]})
        )
    out += [("heading", _("纠纷主要事实、争议事项：")), ("body", c["facts"])]
    out.append(("heading", _("经调解，当事人自愿达成如下协议：")))
    out += [("body", f"{cn_number(i)}、{t}") for i, t in enumerate(c["terms"], start=1)]
    out += [("heading", _("履行方式、时限：")), ("body", c["performance"])]
    out.append(
        (
            "body",
            _(
                "本协议一式 %(n)d 份，当事人、调解组织各持一份，自各方当事人签名（盖章）、"
                "调解员签名并加盖调解组织印章之日起生效。"
            )
            % {"n": c["copies"]},
        )
    )
    out.append(("heading", _("当事人（签名或盖章）：")))
    out += [("sign", f"{p['name']}：________________") for p in c["parties"]]
    out.append(("heading", _("调解员（签名）：")))
    out += [("sign", f"{m}：________________") for m in c["mediators"]]
    out.append(("right", _("调解组织（印章）：%(b)s") % {"b": c["body"]}))
    out.append(("right", cn_date(c["date"])))
    return out


def render_docx(content: dict[str, Any]) -> bytes:
    """The agreement as a Word document (python-docx), A4, SimSun."""
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Pt

    doc = Document()
    normal = doc.styles["Normal"]
    normal.font.name = "SimSun"
    normal.element.rPr.rFonts.set(qn("w:eastAsia"), "SimSun")
    normal.font.size = Pt(12)
    # A fixed creation time, so the file depends only on the agreement's content.
    fixed = datetime(content["date"].year, content["date"].month, content["date"].day)
    doc.core_properties.created = doc.core_properties.modified = fixed
    doc.core_properties.title = _("人民调解协议书")
    for style, text in _paragraphs(content):
        para = doc.add_paragraph()
        run = para.add_run(text)
        if style == "title":
            para.alignment = WD_ALIGN_PARAGRAPH.CENTER
            run.bold, run.font.size = True, Pt(20)
        elif style == "right":
            para.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        elif style == "heading":
            run.bold = True
        elif style == "body":
            para.paragraph_format.first_line_indent = Pt(24)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


_FONT_READY = False


def _cid_font() -> str:
    global _FONT_READY
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    if not _FONT_READY:
        # Built into reportlab (Adobe's CID font): no font file on disk is needed.
        pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
        _FONT_READY = True
    return "STSong-Light"


def render_pdf(content: dict[str, Any]) -> bytes:
    """The agreement as a PDF (reportlab, built-in CID font STSong-Light), reproducible."""
    from xml.sax.saxutils import escape

    from reportlab.lib.enums import TA_CENTER, TA_RIGHT
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

    font = _cid_font()
    base = ParagraphStyle(
        "body", fontName=font, fontSize=12, leading=20, wordWrap="CJK", firstLineIndent=24
    )
    styles = {
        "title": ParagraphStyle(
            "title",
            parent=base,
            fontSize=20,
            leading=30,
            alignment=TA_CENTER,
            firstLineIndent=0,
            spaceAfter=12,
        ),
        "right": ParagraphStyle("right", parent=base, alignment=TA_RIGHT, firstLineIndent=0),
        "heading": ParagraphStyle("heading", parent=base, firstLineIndent=0, spaceBefore=8),
        "body": base,
        "sign": ParagraphStyle("sign", parent=base, firstLineIndent=24, leading=26),
    }
    buf = io.BytesIO()
    doc = SimpleDocTemplate(
        buf,
        pagesize=A4,
        leftMargin=25 * mm,
        rightMargin=25 * mm,
        topMargin=25 * mm,
        bottomMargin=25 * mm,
        title=_("人民调解协议书"),
        invariant=1,
    )
    story: list[Any] = []
    for style, text in _paragraphs(content):
        story.append(Paragraph(escape(text), styles[style]))
        if style == "title":
            story.append(Spacer(1, 4 * mm))
    doc.build(story)
    return buf.getvalue()


def get_agreement_file(
    *, actor: Actor, case_id: int, fmt: str, request: Any = None
) -> tuple[bytes, str, str]:
    """The latest agreement of a case the actor may see: (bytes, filename, content type).

    A case not yet at 化解 has none (409); a changed file is refused rather than served.
    """
    case = access.get_case(actor=actor, case_id=case_id)
    agreement = case.agreements.order_by("-version").first()
    if agreement is None:
        if case.stage in (Stage.SETTLED, Stage.FOLLOW_UP, Stage.CLOSED):
            raise NotFound(_("本案尚未出具调解协议书。"))
        raise Conflict(
            _("案件处于「%(s)s」阶段：只有已化解的案件才有调解协议书。")
            % {"s": Stage(case.stage).label},
            loc=["stage"],
        )
    data = bytes(agreement.docx if fmt == "docx" else agreement.pdf)
    stored = agreement.docx_sha256 if fmt == "docx" else agreement.pdf_sha256
    if hashlib.sha256(data).hexdigest() != stored:
        raise Conflict(_("调解协议书文件与登记的哈希不一致，可能已被改动；请联系管理员。"))
    audit_case("read", actor, case, detail=f"agreement {fmt} v{agreement.version}", request=request)
    kind = (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        if fmt == "docx"
        else "application/pdf"
    )
    return data, f"{case.number}-agreement-v{agreement.version}.{fmt}", kind


def verify_agreement(*, actor: Actor, case_id: int, upload: bytes | None = None) -> dict[str, Any]:
    """Check the latest agreement: stored bytes against stored hashes, stored hashes against the
    audit chain, and (when given) an uploaded copy against both files."""
    case = access.get_case(actor=actor, case_id=case_id)
    agreement = case.agreements.order_by("-version").first()
    if agreement is None:
        raise NotFound(_("本案尚未出具调解协议书。"))
    out: dict[str, Any] = {
        "version": agreement.version,
        "anchored_in_audit_log": _anchored(agreement),
    }
    for fmt in ("docx", "pdf"):
        stored = getattr(agreement, f"{fmt}_sha256")
        actual = hashlib.sha256(bytes(getattr(agreement, fmt))).hexdigest()
        out[fmt] = {"sha256": stored, "actual_sha256": actual, "intact": actual == stored}
    out["intact"] = out["anchored_in_audit_log"] and out["docx"]["intact"] and out["pdf"]["intact"]
    if upload is not None:
        digest = hashlib.sha256(upload).hexdigest()
        out["upload_sha256"] = digest
        out["upload_matches"] = (
            "docx"
            if digest == agreement.docx_sha256
            else "pdf"
            if digest == agreement.pdf_sha256
            else None
        )
    return out


def _anchored(agreement: Agreement) -> bool:
    """True when the audit row written at generation holds these hashes and is itself intact."""
    anchor = (
        AuditEntry.objects.filter(object_type="dispute_agreement", object_id=str(agreement.pk))
        .order_by("id")
        .first()
    )
    return (
        anchor is not None
        and compute_hash(anchor, anchor.prev_hash) == anchor.hash
        and anchor.detail == f"docx={agreement.docx_sha256} pdf={agreement.pdf_sha256}"
    )


def verify_all() -> tuple[int, list[tuple[int, int, str]]]:
    """Check every stored agreement (for the CLI): (count, [(case id, version, what broke)])."""
    broken = []
    n = 0
    for a in Agreement.objects.order_by("id").iterator(chunk_size=50):
        n += 1
        for fmt in ("docx", "pdf"):
            if hashlib.sha256(bytes(getattr(a, fmt))).hexdigest() != getattr(a, f"{fmt}_sha256"):
                broken.append((a.case_id, a.version, f"{fmt} bytes"))
        if not _anchored(a):
            broken.append((a.case_id, a.version, "hash not in audit log"))
    return n, broken
