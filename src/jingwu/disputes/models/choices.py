"""The dispute vocabulary, declared once: types, stages and their lifecycle, risk levels, lead
sources and statuses, participant and party roles, timeline entry kinds, referrals."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class DisputeType(models.TextChoices):
    NEIGHBOUR = "neighbour", _("邻里")
    PROPERTY = "property", _("物业")
    FAMILY = "family", _("婚姻家庭")
    LABOUR = "labour", _("劳资")
    MEDICAL = "medical", _("医患")
    CAMPUS = "campus", _("校园")
    CONSUMER = "consumer", _("消费")
    LAND = "land", _("土地山林")
    OTHER = "other", _("其他")


class Stage(models.TextChoices):
    REGISTERED = "registered", _("登记")
    SCREENING = "screening", _("排查")
    MEDIATING = "mediating", _("调处")
    SETTLED = "settled", _("化解")
    FOLLOW_UP = "follow_up", _("回访")
    CLOSED = "closed", _("结案")
    FAILED = "failed", _("调解不成")
    REFERRED = "referred", _("移交")


#: The lifecycle: 登记 → 排查 → 调处 → 化解 → 回访 → 结案, or 调处 → 调解不成 → 移交.
#: A dispute found in screening may be settled there without a mediation (排查 → 化解).
TRANSITIONS: dict[str, frozenset[str]] = {
    Stage.REGISTERED: frozenset({Stage.SCREENING}),
    Stage.SCREENING: frozenset({Stage.MEDIATING, Stage.SETTLED}),
    Stage.MEDIATING: frozenset({Stage.SETTLED, Stage.FAILED}),
    Stage.SETTLED: frozenset({Stage.FOLLOW_UP}),
    Stage.FOLLOW_UP: frozenset({Stage.CLOSED}),
    Stage.FAILED: frozenset({Stage.REFERRED}),
    Stage.CLOSED: frozenset(),
    Stage.REFERRED: frozenset(),
}
TERMINAL_STAGES = frozenset({Stage.CLOSED, Stage.REFERRED})
OPEN_STAGES = frozenset(Stage.values) - TERMINAL_STAGES


class Risk(models.TextChoices):
    LOW = "low", _("低")
    MEDIUM = "medium", _("中")
    HIGH = "high", _("高")
    ESCALATING = "escalating", _("可能激化")


RISK_ORDER = [Risk.LOW, Risk.MEDIUM, Risk.HIGH, Risk.ESCALATING]


class LeadSource(models.TextChoices):
    JOINT_MEETING = "joint_meeting", _("联席会议")
    GRID_PATROL = "grid_patrol", _("网格巡查")
    RESIDENT = "resident", _("群众反映")
    INCIDENT_110 = "incident_110", _("110 警情")
    HOTLINE = "hotline", _("热线")
    SCHOOL = "school", _("学校")
    HOSPITAL = "hospital", _("医院")


class LeadStatus(models.TextChoices):
    OPEN = "open", _("待处理")
    PROMOTED = "promoted", _("已立案")
    MERGED = "merged", _("已并案")
    DISMISSED = "dismissed", _("已排除")


class ParticipantRole(models.TextChoices):
    LEAD_MEDIATOR = "lead_mediator", _("主调解员")
    CO_MEDIATOR = "co_mediator", _("协同调解员")
    PARTY = "party", _("当事方")
    OBSERVER = "observer", _("列席")
    EXPERT = "expert", _("专业机构")


MEDIATOR_ROLES = frozenset({ParticipantRole.LEAD_MEDIATOR, ParticipantRole.CO_MEDIATOR})


class PartyKind(models.TextChoices):
    PERSON = "person", _("个人")
    ORGANIZATION = "organization", _("单位")


class PartyRole(models.TextChoices):
    APPLICANT = "applicant", _("申请人")
    RESPONDENT = "respondent", _("被申请人")
    THIRD_PARTY = "third_party", _("第三人")


class EntryKind(models.TextChoices):
    CONTACT = "contact", _("联系当事人")
    SITE_INSPECTION = "site_inspection", _("现场勘查")
    EXPERT_FINDING = "expert_finding", _("专业检测意见")
    MEDIATION_SESSION = "mediation_session", _("调解会")
    AGREEMENT = "agreement", _("调解协议")
    FOLLOW_UP = "follow_up", _("回访")
    NOTE = "note", _("工作记录")
    # Written by the system, never posted directly.
    STAGE = "stage", _("阶段变更")
    PARTICIPANT = "participant", _("参与人变更")
    MERGE = "merge", _("并案")
    RISK = "risk", _("风险预警")


USER_ENTRY_KINDS = frozenset(
    {
        EntryKind.CONTACT,
        EntryKind.SITE_INSPECTION,
        EntryKind.EXPERT_FINDING,
        EntryKind.MEDIATION_SESSION,
        EntryKind.AGREEMENT,
        EntryKind.FOLLOW_UP,
        EntryKind.NOTE,
    }
)


class Referral(models.TextChoices):
    LITIGATION = "litigation", _("诉讼")
    ARBITRATION = "arbitration", _("仲裁")
    OTHER_BODY = "other_body", _("其他部门")


class MeetingStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("已安排")
    HELD = "held", _("已召开")
    CANCELLED = "cancelled", _("已取消")


class TaskStatus(models.TextChoices):
    OPEN = "open", _("待办")
    DONE = "done", _("已完成")
