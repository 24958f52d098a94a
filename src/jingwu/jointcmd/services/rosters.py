"""Joint duty rosters (勤务联勤): shifts on posts, people from several forces, checks, copying.

A person is never on two posts at once: every assignment locks the person's row
(``select_for_update``; SQLite's IMMEDIATE transaction already serialises writers) and then
looks for an overlapping duty, so two concurrent bookings cannot both pass the check.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Prefetch
from django.utils.translation import gettext as _

from jingwu.audit import services as audit
from jingwu.errors import Conflict, Invalid, NotFound
from jingwu.jointcmd.models import JointArea, Post, RosterAssignment, RosterShift
from jingwu.jointcmd.services.access import require_staff
from jingwu.jointcmd.services.areas import force_ids
from jingwu.orgs.models import Membership, Person
from jingwu.orgs.services import Actor

LOCAL = ZoneInfo("Asia/Shanghai")
MAX_SHIFT = timedelta(hours=24)


def week_start(day: date) -> date:
    """The Monday of ``day``'s week."""
    return day - timedelta(days=day.weekday())


def week_bounds(monday: date) -> tuple[datetime, datetime]:
    """The aware start and end of a local (Asia/Shanghai) week beginning on ``monday``."""
    start = datetime.combine(monday, time(0), tzinfo=LOCAL)
    return start, start + timedelta(days=7)


@dataclass(frozen=True)
class Duty:
    """One requested assignment: a person and, optionally, the force they serve in."""

    person_id: int
    organization_id: int | None = None


def _post(area: JointArea, post_id: int) -> Post:
    post = Post.objects.filter(pk=post_id, joint_area=area).first()
    if post is None:
        raise Invalid(_("岗位不属于该联勤区域。"), loc=["post_id"])
    return post


def _force_of(area: JointArea, duty: Duty, loc: list[str | int]) -> Membership:
    forces = force_ids(area)
    rows = Membership.objects.filter(person_id=duty.person_id, organization_id__in=forces)
    if duty.organization_id is not None:
        rows = rows.filter(organization_id=duty.organization_id)
    membership = rows.select_related("person", "organization").order_by("id").first()
    if membership is None:
        if not Person.objects.filter(pk=duty.person_id).exists():
            raise Invalid(_("人员不存在。"), loc=[*loc, "person_id"])
        raise Invalid(_("此人不属于该联勤区域的任何一支力量。"), loc=[*loc, "person_id"])
    return membership


def _check_free(person: Person, starts_at: datetime, ends_at: datetime, loc: list[str | int]):
    clash = (
        RosterAssignment.objects.filter(person=person, starts_at__lt=ends_at, ends_at__gt=starts_at)
        .select_related("shift__post")
        .first()
    )
    if clash is not None:
        raise Conflict(
            _("%(name)s 在 %(start)s–%(end)s 已在“%(post)s”执勤，不能同时排两个岗位。")
            % {
                "name": person.name,
                "start": clash.starts_at.astimezone(LOCAL).strftime("%m-%d %H:%M"),
                "end": clash.ends_at.astimezone(LOCAL).strftime("%m-%d %H:%M"),
                "post": clash.shift.post.name,
            },
            loc=[*loc, "person_id"],
        )


def _assign(
    *, area: JointArea, shift: RosterShift, duty: Duty, loc: list[str | int]
) -> RosterAssignment:
    membership = _force_of(area, duty, loc)
    # Lock the person so a concurrent booking of the same person waits for this one.
    person = Person.objects.select_for_update().get(pk=membership.person_id)
    _check_free(person, shift.starts_at, shift.ends_at, loc)
    return RosterAssignment.objects.create(
        shift=shift,
        person=person,
        organization_id=membership.organization_id,
        starts_at=shift.starts_at,
        ends_at=shift.ends_at,
    )


def create_shift(
    *,
    actor: Actor,
    area: JointArea,
    post_id: int,
    starts_at: datetime,
    ends_at: datetime,
    duties: list[Duty],
    min_staff: int | None = None,
) -> RosterShift:
    """Put a shift on a post with its people. Call inside a transaction: all or nothing."""
    require_staff(actor, area.lead_id)
    post = _post(area, post_id)
    if ends_at <= starts_at:
        raise Invalid(_("结束时间必须晚于开始时间。"), loc=["ends_at"])
    if ends_at - starts_at > MAX_SHIFT:
        raise Invalid(_("一个班次不能超过 24 小时。"), loc=["ends_at"])
    if len({d.person_id for d in duties}) != len(duties):
        raise Invalid(_("同一人不能在一个班次中重复出现。"), loc=["people"])
    shift = RosterShift.objects.create(
        post=post,
        starts_at=starts_at,
        ends_at=ends_at,
        min_staff=post.min_staff if min_staff is None else min_staff,
    )
    for i, duty in enumerate(duties):
        _assign(area=area, shift=shift, duty=duty, loc=["people", i])
    audit.record(
        action="create",
        component="jointcmd",
        user=actor.user,
        object_type="roster_shift",
        object_id=shift.pk,
        detail=f"people={len(duties)}",
    )
    return shift


def _shift(area: JointArea, shift_id: int) -> RosterShift:
    shift = RosterShift.objects.filter(pk=shift_id, post__joint_area=area).first()
    if shift is None:
        raise NotFound(_("班次不存在。"))
    return shift


def assign(*, actor: Actor, area: JointArea, shift_id: int, duty: Duty) -> RosterAssignment:
    """Add one person to a shift (refused when they are on another post at that time)."""
    require_staff(actor, area.lead_id)
    shift = _shift(area, shift_id)
    if shift.assignments.filter(person_id=duty.person_id).exists():
        raise Conflict(_("此人已在该班次中。"), loc=["person_id"])
    assignment = _assign(area=area, shift=shift, duty=duty, loc=[])
    audit.record(
        action="create",
        component="jointcmd",
        user=actor.user,
        object_type="roster_assignment",
        object_id=assignment.pk,
    )
    return assignment


def unassign(*, actor: Actor, area: JointArea, shift_id: int, person_id: int) -> None:
    """Take a person off a shift."""
    require_staff(actor, area.lead_id)
    shift = _shift(area, shift_id)
    deleted, _n = RosterAssignment.objects.filter(shift=shift, person_id=person_id).delete()
    if not deleted:
        raise NotFound(_("此人不在该班次中。"))
    audit.record(
        action="delete",
        component="jointcmd",
        user=actor.user,
        object_type="roster_assignment",
        object_id=f"{shift.pk}:{person_id}",
    )


@dataclass(frozen=True)
class RosterIssue:
    """Something to fix before a shift starts."""

    kind: str  # unstaffed | understaffed | gap | overlap | double_booked
    post_id: int
    post: str
    starts_at: datetime
    ends_at: datetime
    message: str
    shift_id: int | None = None


@dataclass
class RosterWeek:
    """A joint area's roster for one week: its posts, shifts with people, and the issues."""

    area: JointArea
    monday: date
    posts: list[Post]
    shifts: list[RosterShift]
    issues: list[RosterIssue] = field(default_factory=list)


def _shifts(area: JointArea, start: datetime, end: datetime) -> list[RosterShift]:
    people = RosterAssignment.objects.select_related("person", "organization").order_by("id")
    return list(
        RosterShift.objects.filter(post__joint_area=area, starts_at__lt=end, ends_at__gt=start)
        .select_related("post")
        .prefetch_related(Prefetch("assignments", queryset=people))
        .order_by("starts_at", "post_id")
    )


def _fmt(t: datetime) -> str:
    return t.astimezone(LOCAL).strftime("%m-%d %H:%M")


def _issues(
    posts: list[Post], shifts: list[RosterShift], start: datetime, end: datetime
) -> list[RosterIssue]:
    out: list[RosterIssue] = []
    by_post: dict[int, list[RosterShift]] = {p.pk: [] for p in posts}
    for s in shifts:
        by_post.setdefault(s.post_id, []).append(s)
        staffed = len(s.assignments.all())
        if staffed < s.min_staff:
            kind = "unstaffed" if staffed == 0 else "understaffed"
            msg = (_("无人在岗") if staffed == 0 else _("在岗 %(n)d 人，少于最低 %(m)d 人")) % {
                "n": staffed,
                "m": s.min_staff,
            }
            out.append(RosterIssue(kind, s.post_id, s.post.name, s.starts_at, s.ends_at, msg, s.pk))
    for post in posts:
        rows = sorted(by_post.get(post.pk, []), key=lambda s: s.starts_at)
        cursor = start
        for a, b in zip(rows, rows[1:], strict=False):
            if b.starts_at < a.ends_at:
                out.append(
                    RosterIssue(
                        "overlap",
                        post.pk,
                        post.name,
                        b.starts_at,
                        min(a.ends_at, b.ends_at),
                        _("两个班次时间重叠"),
                        b.pk,
                    )
                )
        if post.around_the_clock:
            for s in rows:
                if s.starts_at > cursor:
                    out.append(_gap(post, cursor, s.starts_at))
                cursor = max(cursor, s.ends_at)
            if cursor < end:
                out.append(_gap(post, cursor, end))
    out.extend(_double_bookings(shifts))
    out.sort(key=lambda i: (i.starts_at, i.post_id, i.kind))
    return out


def _gap(post: Post, a: datetime, b: datetime) -> RosterIssue:
    return RosterIssue(
        "gap",
        post.pk,
        post.name,
        a,
        b,
        _("24 小时岗位 %(a)s 至 %(b)s 无人排班") % {"a": _fmt(a), "b": _fmt(b)},
    )


def _double_bookings(shifts: list[RosterShift]) -> list[RosterIssue]:
    # Writes refuse these; rows edited in the back office may still create one.
    out = []
    duties = sorted(
        ((a, s) for s in shifts for a in s.assignments.all()),
        key=lambda x: (x[0].person_id, x[0].starts_at),
    )
    for (a, sa), (b, sb) in zip(duties, duties[1:], strict=False):
        if a.person_id == b.person_id and b.starts_at < a.ends_at:
            out.append(
                RosterIssue(
                    "double_booked",
                    sb.post_id,
                    sb.post.name,
                    b.starts_at,
                    min(a.ends_at, b.ends_at),
                    _("%(name)s 同时排在“%(a)s”和“%(b)s”")
                    % {"name": a.person.name, "a": sa.post.name, "b": sb.post.name},
                    sb.pk,
                )
            )
    return out


def roster_week(*, area: JointArea, monday: date) -> RosterWeek:
    """The week's roster and its issues (unstaffed shifts, gaps, overlaps, double bookings)."""
    start, end = week_bounds(monday)
    posts = list(area.posts.order_by("id"))
    shifts = _shifts(area, start, end)
    return RosterWeek(area, monday, posts, shifts, _issues(posts, shifts, start, end))


def upcoming_issues(*, area: JointArea, now: datetime, hours: int = 24) -> list[RosterIssue]:
    """Issues of shifts that have not started yet, within the next ``hours``: fix them now."""
    end = now + timedelta(hours=hours)
    posts = list(area.posts.order_by("id"))
    shifts = _shifts(area, now, end)
    return [i for i in _issues(posts, shifts, now, end) if i.starts_at >= now or i.kind == "gap"]


@dataclass(frozen=True)
class OnPost:
    """Who is on a post right now."""

    post: Post
    shift: RosterShift | None
    people: list[RosterAssignment]


def on_post_now(*, area: JointArea, now: datetime) -> list[OnPost]:
    """Each post of the area with the shift running now and the people on it."""
    current = {s.post_id: s for s in _shifts(area, now, now + timedelta(microseconds=1))}
    out = []
    for post in area.posts.order_by("id"):
        s = current.get(post.pk)
        out.append(OnPost(post, s, list(s.assignments.all()) if s else []))
    return out


def copy_week(*, actor: Actor, area: JointArea, monday: date, weeks: int = 1) -> int:
    """Copy a week's shifts and people forward ``weeks`` times; return the shifts created.

    Refused (nothing written) when a target week already has shifts, or when a copied person
    is on duty elsewhere at the copied time. Call inside a transaction.
    """
    require_staff(actor, area.lead_id)
    if not 1 <= weeks <= 8:
        raise Invalid(_("一次最多向后复制 8 周。"), loc=["weeks"])
    start, end = week_bounds(monday)
    source = [s for s in _shifts(area, start, end) if s.starts_at >= start]
    if not source:
        raise Invalid(_("该周没有可复制的班次。"), loc=["week"])
    created = 0
    for w in range(1, weeks + 1):
        shift_by = timedelta(days=7 * w)
        if RosterShift.objects.filter(
            post__joint_area=area, starts_at__gte=start + shift_by, starts_at__lt=end + shift_by
        ).exists():
            raise Conflict(
                _("%(day)s 起的一周已有排班，未复制。") % {"day": (monday + shift_by).isoformat()},
                loc=["week"],
            )
        for s in source:
            copy = RosterShift.objects.create(
                post_id=s.post_id,
                starts_at=s.starts_at + shift_by,
                ends_at=s.ends_at + shift_by,
                min_staff=s.min_staff,
            )
            for a in s.assignments.all():
                duty = Duty(a.person_id, a.organization_id)
                _assign(area=area, shift=copy, duty=duty, loc=["people"])
            created += 1
    audit.record(
        action="create",
        component="jointcmd",
        user=actor.user,
        object_type="roster_week",
        object_id=f"{area.code}:{monday.isoformat()}",
        detail=f"copied weeks={weeks} shifts={created}",
    )
    return created
