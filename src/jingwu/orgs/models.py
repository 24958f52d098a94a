"""Organizations (police and partners), people, their roles, and API tokens."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class OrgKind(models.TextChoices):
    BRANCH = "branch", _("分局")
    STATION = "station", _("派出所")
    WORKSTATION = "workstation", _("警务站")
    POLICE_ROOM = "police_room", _("警务室")
    COMMUNITY = "community", _("社区")
    PROPERTY_COMPANY = "property_company", _("物业公司")
    SCHOOL = "school", _("学校")
    HOSPITAL = "hospital", _("医院")
    LEGAL_AID = "legal_aid", _("法律援助机构")
    RAILWAY_POLICE = "railway_police", _("铁路公安")
    FORESTRY = "forestry", _("林业部门")
    SECURITY_COMPANY = "security_company", _("保安公司")
    VOLUNTEER_TEAM = "volunteer_team", _("志愿者队伍")


#: Organization kinds that are the public-security police of the district.
POLICE_KINDS = frozenset(
    {OrgKind.BRANCH, OrgKind.STATION, OrgKind.WORKSTATION, OrgKind.POLICE_ROOM}
)


class Role(models.TextChoices):
    COMMANDER = "commander", _("指挥员")
    DUTY_OFFICER = "duty_officer", _("值班民警")
    POLICE_OFFICER = "police_officer", _("民警")
    AUXILIARY_OFFICER = "auxiliary_officer", _("辅警")
    GRID_POLICE_CHIEF = "grid_police_chief", _("网格警长")
    GRID_WORKER = "grid_worker", _("网格员")
    COMMUNITY_DIRECTOR = "community_director", _("社区治保主任")
    PROPERTY_DIRECTOR = "property_director", _("物业主任")
    SCHOOL_DIRECTOR = "school_director", _("学校德育主任")
    HOSPITAL_DIRECTOR = "hospital_director", _("医院医调主任")
    LAWYER = "lawyer", _("法援律师")
    CLERK = "clerk", _("窗口工作人员")
    VOLUNTEER = "volunteer", _("志愿者")
    SECURITY_GUARD = "security_guard", _("保安员")
    FOREST_CHIEF = "forest_chief", _("林长")
    ADMIN = "admin", _("系统管理员")
    AUDITOR = "auditor", _("审计员")


#: Roles that may see ID numbers and phone numbers unmasked.
POLICE_ROLES = frozenset(
    {
        Role.COMMANDER,
        Role.DUTY_OFFICER,
        Role.POLICE_OFFICER,
        Role.AUXILIARY_OFFICER,
        Role.GRID_POLICE_CHIEF,
    }
)
PERSONAL_DATA_ROLES = POLICE_ROLES | {Role.CLERK}


class Organization(models.Model):
    """A police unit or a partner organization. Police units form the tier tree via ``parent``.

    A partner (community, property company…) hangs under the police unit it works with, so the
    branch it belongs to is found by walking up.
    """

    kind = models.CharField(_("类型"), max_length=24, choices=OrgKind.choices, db_index=True)
    name = models.CharField(_("名称"), max_length=120)
    code = models.CharField(_("代码"), max_length=64, unique=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    phone = models.CharField(_("值班电话"), max_length=32, blank=True)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("单位")
        verbose_name_plural = _("单位")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class Person(models.Model):
    """A person who works in the system, with or without a log-in (volunteers may have none).

    ``phone`` and ``id_number`` are personal data: masked by ``orgs.services.mask_for`` and
    audited when read.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("账号"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="person",
    )
    name = models.CharField(_("姓名"), max_length=64)
    phone = models.CharField(_("手机号"), max_length=20, blank=True)
    id_number = models.CharField(_("身份证号"), max_length=18, blank=True)
    badge = models.CharField(_("警号/工号"), max_length=32, blank=True)
    organizations = models.ManyToManyField(
        Organization, through="Membership", related_name="people"
    )

    class Meta:
        verbose_name = _("人员")
        verbose_name_plural = _("人员")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    """A person's role in one organization. A person may hold several."""

    person = models.ForeignKey(
        Person, verbose_name=_("人员"), on_delete=models.CASCADE, related_name="memberships"
    )
    organization = models.ForeignKey(
        Organization, verbose_name=_("单位"), on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("角色"), max_length=24, choices=Role.choices)

    class Meta:
        verbose_name = _("任职")
        verbose_name_plural = _("任职")
        constraints = [
            models.UniqueConstraint(
                fields=["person", "organization", "role"], name="membership_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.person} · {self.organization} · {self.get_role_display()}"


class ApiToken(models.Model):
    """A bearer token for the API. Only its SHA-256 is stored; it expires and can be revoked."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("账号"),
        on_delete=models.CASCADE,
        related_name="api_tokens",
    )
    name = models.CharField(_("用途"), max_length=64, blank=True)
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(_("前缀"), max_length=8)
    created_at = models.DateTimeField(_("创建时间"))
    expires_at = models.DateTimeField(_("过期时间"))
    revoked_at = models.DateTimeField(_("吊销时间"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True)

    class Meta:
        verbose_name = _("接口令牌")
        verbose_name_plural = _("接口令牌")

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"
