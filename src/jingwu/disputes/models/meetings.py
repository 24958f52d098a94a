"""Joint meetings (联席会议): attendees, agenda, minutes, decisions tracked as tasks."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from jingwu.disputes.models.cases import Case
from jingwu.disputes.models.choices import MeetingStatus, TaskStatus
from jingwu.disputes.models.groups import Lead
from jingwu.orgs.models import Organization, Person


class JointMeeting(models.Model):
    """A workstation's joint meeting (联席会议) with attendees, agenda, minutes and tasks."""

    workstation = models.ForeignKey(
        Organization, verbose_name=_("警务站"), on_delete=models.PROTECT, related_name="+"
    )
    title = models.CharField(_("主题"), max_length=120)
    scheduled_at = models.DateTimeField(_("时间"))
    place = models.CharField(_("地点"), max_length=120, blank=True)
    status = models.CharField(
        _("状态"), max_length=16, choices=MeetingStatus.choices, default=MeetingStatus.SCHEDULED
    )
    minutes = models.TextField(_("会议纪要"), blank=True)
    created_by = models.ForeignKey(Person, null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("创建时间"))

    class Meta:
        verbose_name = _("联席会议")
        verbose_name_plural = _("联席会议")
        ordering = ["-scheduled_at"]

    def __str__(self) -> str:
        return self.title


class MeetingAttendee(models.Model):
    """A person invited to a joint meeting for an organization; ``present`` once it is held."""

    meeting = models.ForeignKey(JointMeeting, on_delete=models.CASCADE, related_name="attendees")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    present = models.BooleanField(_("出席"), null=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "person"], name="disputes_attendee_unique")
        ]

    def __str__(self) -> str:
        return f"{self.person} · {self.organization}"


class AgendaItem(models.Model):
    """A case or lead on a meeting's agenda (shown only to those who may see it)."""

    meeting = models.ForeignKey(JointMeeting, on_delete=models.CASCADE, related_name="agenda")
    case = models.ForeignKey(
        Case, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    lead = models.ForeignKey(
        Lead, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    note = models.CharField(_("议题"), max_length=200, blank=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.note or f"{self.case_id or ''}{self.lead_id or ''}"


class MeetingTask(models.Model):
    """A decision of a joint meeting: a task with an owner and a due date, tracked to done."""

    meeting = models.ForeignKey(JointMeeting, on_delete=models.CASCADE, related_name="tasks")
    text = models.CharField(_("决定事项"), max_length=300)
    owner = models.ForeignKey(
        Person, verbose_name=_("责任人"), on_delete=models.PROTECT, related_name="+"
    )
    owner_org = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    due_on = models.DateField(_("完成期限"))
    case = models.ForeignKey(
        Case, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(
        _("状态"), max_length=8, choices=TaskStatus.choices, default=TaskStatus.OPEN
    )
    done_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    done_note = models.CharField(_("完成情况"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("会议决定事项")
        verbose_name_plural = _("会议决定事项")
        ordering = ["due_on", "id"]

    def __str__(self) -> str:
        return self.text
