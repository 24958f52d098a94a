"""Demo disputes for the Jin'an district: the 崇贤 directors' group and the water-leak case.

The water leak is the article's story: early March, 李先生 (downstairs, a newly delivered flat)
finds water coming through his ceiling and blames the construction; the property company
suspects 洪先生's renovation upstairs; 洪先生 says he never touched the pipes. At the 崇贤
workstation's joint meeting in mid-March the property company raises it, the grid police
chief talks to all three, the community brings in a testing agency that finds the source,
and the "e体+" mediation room settles it. Here it is replayed through the use cases (so every
write is audited like a real one) with dates counted back from today, ending at 化解 with a
mediation agreement. A handful of other leads and cases sit in the other stages.

Names, findings and terms are illustrative.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.utils import timezone
from shapely.geometry import shape

from jingwu.areas.models import Area
from jingwu.disputes.models import DirectorsGroup, GroupMember, Participant, ParticipantRole
from jingwu.disputes.services import agreements, cases, leads, meetings, workflow
from jingwu.engine.idnumber import make_id_number
from jingwu.orgs.models import Membership, Organization, Person, Role
from jingwu.orgs.services import Actor, actor_for

#: Accounts this module adds: (username, name, role, organization code, phone).
ACCOUNTS = [
    ("school_gushan", "陈晓燕", Role.SCHOOL_DIRECTOR, "school-gushan", "13805920101"),
    ("hospital_jinan", "吴国平", Role.HOSPITAL_DIRECTOR, "hospital-jinan", "13805920102"),
    ("police_luxi", "何志远", Role.POLICE_OFFICER, "pr-350111100028", "13805920103"),
    ("police_longtou", "林少波", Role.POLICE_OFFICER, "pr-350111101002", "13805920104"),
]
GROUP_MEMBERS = [
    ("chief_chongxian", True),
    ("community_chongxian", False),
    ("property_chongxian", False),
    ("lawyer_jinan", False),
    ("school_gushan", False),
    ("hospital_jinan", False),
]
WATER_LEAK_TITLE = "崇贤某新建小区楼上楼下漏水纠纷"


@dataclass(frozen=True)
class DemoDisputeAccount:
    """An account added by the disputes demo (printed by the loader if it wishes)."""

    username: str
    name: str
    role: str
    organization: str


def _point(area_code: str) -> tuple[float, float]:
    """A point inside an area: its representative point as (lat, lon)."""
    p = shape(Area.objects.get(code=area_code).geometry).representative_point()
    return p.y, p.x


def _accounts(password: str) -> list[DemoDisputeAccount]:
    User = get_user_model()
    out = []
    hashed = make_password(password)  # one slow hash for the demo's shared password
    for n, (username, name, role, org_code, phone) in enumerate(ACCOUNTS, start=1):
        org = Organization.objects.get(code=org_code)
        user, _ = User.objects.get_or_create(username=username)
        user.password = hashed
        user.save()
        person, _ = Person.objects.update_or_create(
            user=user,
            defaults={
                "name": name,
                "phone": phone,
                "badge": f"JD{n:04d}",
                "id_number": make_id_number("350111", date(1978 + n, n, 5 + n), 100 + n, "male"),
            },
        )
        Membership.objects.get_or_create(person=person, organization=org, role=role)
        out.append(DemoDisputeAccount(username, name, str(Role(role).label), org.name))
    return out


def _actor(username: str) -> Actor:
    return actor_for(get_user_model().objects.get(username=username))


def _group() -> DirectorsGroup:
    ws = Organization.objects.get(code="ws-chongxian")
    group, _ = DirectorsGroup.objects.get_or_create(
        workstation=ws, defaults={"name": "崇贤智慧警务站双解主任群"}
    )
    for username, is_lead in GROUP_MEMBERS:
        person = Person.objects.get(user__username=username)
        org_id = Membership.objects.filter(person=person).values_list("organization_id", flat=True)[
            0
        ]
        GroupMember.objects.update_or_create(
            group=group, person=person, defaults={"organization_id": org_id, "is_lead": is_lead}
        )
    taihe = Organization.objects.get(code="ws-taihe")
    tg, _ = DirectorsGroup.objects.get_or_create(
        workstation=taihe, defaults={"name": "泰禾商圈警务站“e体+”调处群"}
    )
    for username, is_lead in (("duty_taihe", True), ("lawyer_jinan", False)):
        person = Person.objects.get(user__username=username)
        org_id = Membership.objects.filter(person=person).values_list("organization_id", flat=True)[
            0
        ]
        GroupMember.objects.update_or_create(
            group=tg, person=person, defaults={"organization_id": org_id, "is_lead": is_lead}
        )
    return group


def _at(today: datetime, days_ago: float, hour: int = 10) -> datetime:
    return (today - timedelta(days=days_ago)).replace(hour=hour, minute=0, second=0, microsecond=0)


def _ids(n: int, sex: str, year: int) -> str:
    return make_id_number("350111", date(year, 1 + n % 12, 1 + n), 200 + n, sex)


def _water_leak(today: datetime) -> int:
    chief, community = _actor("chief_chongxian"), _actor("community_chongxian")
    property_, lawyer = _actor("property_chongxian"), _actor("lawyer_jinan")
    lat, lon = _point("350111100027-01")
    lead = leads.create_lead(
        actor=property_,
        text="3号楼502李先生家卫生间天花板渗水，李先生认为是新房质量问题；物业怀疑是楼上602洪先生装修"
        "破坏了管路，洪先生否认动过管路。三方各执一词，僵持不下。",
        lat=lat,
        lon=lon,
        address="鼓山镇崇贤某新建小区3号楼502、602",
        source="joint_meeting",
        parties=[
            {
                "name": "李先生",
                "role": "applicant",
                "phone": "13905910001",
                "id_number": _ids(1, "male", 1986),
            },
            {
                "name": "洪先生",
                "role": "respondent",
                "phone": "13905910002",
                "id_number": _ids(2, "male", 1979),
            },
            {"name": "崇贤小区物业服务中心（示意）", "kind": "organization", "role": "third_party"},
        ],
        now=_at(today, 40, 9),
    )
    meeting = meetings.create_meeting(
        actor=chief,
        title="三月联席会议：矛盾纠纷摸排",
        scheduled_at=_at(today, 38, 15),
        place="崇贤智慧警务站会议室",
        attendees=["community_chongxian", "property_chongxian", "lawyer_jinan"],
        lead_ids=[lead.pk],
        now=_at(today, 39),
    )
    case = leads.promote_lead(
        actor=chief,
        lead_id=lead.pk,
        type="neighbour",
        risk="medium",
        title=WATER_LEAK_TITLE,
        now=_at(today, 38, 16),
    )
    meetings.record_minutes(
        actor=chief,
        meeting_id=meeting.pk,
        minutes="物业公司通报3号楼漏水纠纷。会议决定：警务站介入化解，网格警长分别与三方沟通；"
        "社区联系专业检测机构查找渗漏根源；法援律师提供法律意见。",
        present=["chief_chongxian", "community_chongxian", "property_chongxian", "lawyer_jinan"],
        now=_at(today, 38, 17),
    )
    t1 = meetings.add_task(
        actor=chief,
        meeting_id=meeting.pk,
        text="分别与李先生、洪先生和物业沟通，稳定情绪",
        owner="chief_chongxian",
        due_on=_at(today, 35).date(),
        case_id=case.pk,
        now=_at(today, 38, 17),
    )
    t2 = meetings.add_task(
        actor=chief,
        meeting_id=meeting.pk,
        text="联系专业检测机构查找渗漏根源",
        owner="community_chongxian",
        due_on=_at(today, 31).date(),
        case_id=case.pk,
        now=_at(today, 38, 17),
    )
    workflow.add_participant(
        actor=chief,
        case_id=case.pk,
        username="community_chongxian",
        role="co_mediator",
        now=_at(today, 38, 17),
    )
    workflow.add_participant(
        actor=chief,
        case_id=case.pk,
        username="lawyer_jinan",
        role="co_mediator",
        now=_at(today, 38, 17),
    )
    # The property director posted the lead; the property company is also one of the parties.
    Participant.objects.filter(case=case, person__user__username="property_chongxian").update(
        role=ParticipantRole.PARTY
    )
    expert = Person.objects.get_or_create(name="陈工（检测工程师）", user=None, badge="EXP-001")[0]
    Participant.objects.get_or_create(
        case=case,
        person=expert,
        defaults={
            "role": ParticipantRole.EXPERT,
            "affiliation": "福州市某建设工程质量检测站（示意）",
            "added_at": _at(today, 33),
        },
    )
    workflow.transition(actor=chief, case_id=case.pk, to="screening", now=_at(today, 38, 18))
    steps = [
        (37, "contact", chief, "与李先生面谈：天花板渗水已两周，要求查明原因并赔偿吊顶损失。"),
        (36, "contact", chief, "与洪先生电话沟通：装修未改动管路，同意配合入户检测。"),
        (35, "site_inspection", community, "会同物业入户查看502、602卫生间，502吊顶有明显水渍。"),
    ]
    for days, kind, who, text in steps:
        workflow.add_entry(
            actor=who,
            case_id=case.pk,
            kind=kind,
            text=text,
            happened_at=_at(today, days),
            now=_at(today, days, 18),
        )
    meetings.complete_task(actor=chief, task_id=t1.pk, note="三方均已沟通", now=_at(today, 35, 18))
    workflow.transition(actor=chief, case_id=case.pk, to="mediating", now=_at(today, 32))
    workflow.add_entry(
        actor=community,
        case_id=case.pk,
        kind="expert_finding",
        text="检测机构闭水试验结论：渗漏源为602卫生间排水立管接口密封失效，系交付时施工缺陷，"
        "与602装修无直接关系（示意）。",
        happened_at=_at(today, 30),
        now=_at(today, 30, 18),
    )
    meetings.complete_task(
        actor=community, task_id=t2.pk, note="检测报告已取得", now=_at(today, 30, 18)
    )
    workflow.add_entry(
        actor=lawyer,
        case_id=case.pk,
        kind="note",
        text="法律意见：交付一年内的施工缺陷属保修范围，由物业协调建设单位维修并赔偿损失。",
        happened_at=_at(today, 29),
        now=_at(today, 29, 18),
    )
    people = list(Participant.objects.filter(case=case).values_list("pk", flat=True))
    agreements.record_session(
        actor=chief,
        case_id=case.pk,
        held_at=_at(today, 5, 14),
        place="崇贤智慧警务站“e体+”多维调处室",
        summary="社区、物业、法援律师共同参与调解，三方确认检测结论，就维修与赔偿达成一致。",
        agreed=True,
        attendee_ids=people,
        now=_at(today, 5, 17),
    )
    workflow.transition(actor=chief, case_id=case.pk, to="settled", now=_at(today, 3))
    agreements.draft_agreement(
        actor=chief,
        case_id=case.pk,
        facts=f"{agreements.cn_date(_at(today, 41).date())}前后，502业主李先生发现卫生间天花板渗水，与602业主洪先生、物业服务中心就渗漏原因"
        "及责任发生争议。经专业检测，渗漏源为602卫生间排水立管接口密封失效，属交付时施工缺陷。",
        terms=[
            "物业服务中心协调建设单位于协议签订之日起十日内维修602卫生间排水立管接口，并承担维修费用。",
            "物业服务中心于维修完成后五日内修复502卫生间吊顶，或一次性补偿李先生人民币贰仟元。",
            "洪先生为维修提供入户便利。",
            "各方就本纠纷不再另行主张其他权利。",
        ],
        performance="维修完成后由社区、物业、双方业主共同验收；补偿款由物业服务中心转账支付给李先生。",
        now=_at(today, 3, 11),
    )
    return case.pk


def _other_cases(today: datetime) -> None:
    chief, duty = _actor("chief_chongxian"), _actor("duty_taihe")
    luxi, longtou = _actor("police_luxi"), _actor("police_longtou")
    community = _actor("community_chongxian")
    lat, lon = _point("350111100027-02")
    noise = cases.create_case(
        actor=chief,
        type="neighbour",
        title="楼上夜间噪音纠纷",
        description="4号楼住户反映楼上夜间拖动家具、小孩跑跳，多次沟通无果，楼下住户扬言要报复。",
        lat=lat,
        lon=lon,
        address="鼓山镇崇贤某小区4号楼",
        risk="low",
        parties=[
            {"name": "郑女士", "role": "applicant", "phone": "13905910011"},
            {"name": "高先生", "role": "respondent", "phone": "13905910012"},
        ],
        now=_at(today, 6),
    )
    workflow.transition(actor=chief, case_id=noise.pk, to="screening", now=_at(today, 5))
    lat, lon = _point("350111100027-03")
    fee = cases.create_case(
        actor=chief,
        type="property",
        title="物业费与停车位收费纠纷",
        description="部分业主对停车位管理费上调有异议，拒缴物业费，物业拟起诉。",
        lat=lat,
        lon=lon,
        address="鼓山镇崇贤某小区",
        risk="low",
        parties=[
            {"name": "业主代表刘先生", "role": "applicant", "phone": "13905910021"},
            {"name": "崇贤小区物业服务中心（示意）", "kind": "organization", "role": "respondent"},
        ],
        now=_at(today, 60),
    )
    workflow.add_participant(
        actor=chief,
        case_id=fee.pk,
        username="community_chongxian",
        role="co_mediator",
        now=_at(today, 60),
    )
    for stage, days in (("screening", 58), ("settled", 50), ("follow_up", 45)):
        workflow.transition(actor=chief, case_id=fee.pk, to=stage, now=_at(today, days))
    workflow.add_entry(
        actor=community,
        case_id=fee.pk,
        kind="follow_up",
        text="回访业主代表：停车位收费已按协商方案执行，无反复。",
        happened_at=_at(today, 20),
        now=_at(today, 20),
    )
    workflow.transition(actor=chief, case_id=fee.pk, to="closed", now=_at(today, 19))
    lat, lon = _point("350111100028-01")
    wages = cases.create_case(
        actor=luxi,
        type="labour",
        title="工地欠薪纠纷",
        description="鹿溪片区某工地十余名工人讨要工资未果，有工人扬言要跳楼，并称要报复包工头。",
        lat=lat,
        lon=lon,
        address="鼓山镇鹿溪片区某工地",
        risk="medium",
        source="incident_110",
        parties=[
            {
                "name": "工人代表孙某",
                "role": "applicant",
                "phone": "13905910031",
                "id_number": _ids(3, "male", 1975),
            },
            {
                "name": "包工头钱某",
                "role": "respondent",
                "phone": "13905910032",
                "id_number": _ids(4, "male", 1970),
            },
        ],
        now=_at(today, 4),
    )
    workflow.transition(actor=luxi, case_id=wages.pk, to="screening", now=_at(today, 4))
    workflow.transition(actor=luxi, case_id=wages.pk, to="mediating", now=_at(today, 3))
    lat, lon = _point("350111102026-01")
    shop = cases.create_case(
        actor=duty,
        type="consumer",
        title="商场预付卡退款纠纷",
        description="泰禾广场某健身房停业，会员要求退还预付卡余额，商家称无力退款。",
        lat=lat,
        lon=lon,
        address="东二环泰禾广场",
        risk="low",
        parties=[
            {"name": "会员代表周女士", "role": "applicant", "phone": "13905910041"},
            {"name": "某健身房（示意）", "kind": "organization", "role": "respondent"},
        ],
        now=_at(today, 1),
    )
    workflow.add_participant(
        actor=duty, case_id=shop.pk, username="lawyer_jinan", role="co_mediator", now=_at(today, 1)
    )
    lat, lon = _point("350111101002-01")
    family = cases.create_case(
        actor=longtou,
        type="family",
        title="赡养费纠纷",
        description="兄妹三人就母亲赡养费分担长期争执，调解两次未果。",
        lat=lat,
        lon=lon,
        address="新店镇龙头某小区",
        risk="low",
        parties=[
            {"name": "林老太", "role": "applicant", "id_number": _ids(5, "female", 1948)},
            {"name": "林某某", "role": "respondent", "id_number": _ids(6, "male", 1972)},
        ],
        now=_at(today, 30),
    )
    for stage, days in (("screening", 29), ("mediating", 25), ("failed", 12)):
        workflow.transition(
            actor=longtou,
            case_id=family.pk,
            to=stage,
            now=_at(today, days),
            reason="双方分歧较大，调解不成。" if stage == "failed" else "",
        )
    workflow.transition(
        actor=longtou,
        case_id=family.pk,
        to="referred",
        referral_to="litigation",
        reason="引导当事人向人民法院起诉，法援中心提供法律援助。",
        now=_at(today, 10),
    )


def _leads_and_meeting(today: datetime) -> None:
    community, school = _actor("community_chongxian"), _actor("school_gushan")
    hospital, chief = _actor("hospital_jinan"), _actor("chief_chongxian")
    lat, lon = _point("350111100027-04")
    lift = leads.create_lead(
        actor=community,
        text="5号楼加装电梯，低层住户反对，高低层业主在业主群争吵。",
        lat=lat,
        lon=lon,
        address="崇贤某小区5号楼",
        source="resident",
        now=_at(today, 2),
    )
    leads.create_lead(
        actor=school,
        text="两名学生课间冲突，双方家长放学时在校门口争执，需提前介入。",
        lat=lat,
        lon=lon,
        address="鼓山中心小学门口",
        source="school",
        now=_at(today, 1, 16),
    )
    leads.create_lead(
        actor=hospital,
        text="患者家属对术后恢复不满，多次到医务科反映，情绪激动。",
        lat=lat,
        lon=lon,
        address="晋安区医院医务科",
        source="hospital",
        now=_at(today, 0.5),
    )
    stray = leads.create_lead(
        actor=community,
        text="小区门口有人拉横幅推销，住户反映。",
        lat=lat,
        lon=lon,
        address="崇贤某小区东门",
        source="grid_patrol",
        now=_at(today, 3),
    )
    leads.dismiss_lead(
        actor=chief,
        lead_id=stray.pk,
        reason="商业推销，非矛盾纠纷，已转城管处理。",
        now=_at(today, 3),
    )
    noise = cases.list_cases(actor=chief, q="噪音", now=today).first()
    meetings.create_meeting(
        actor=chief,
        title="四月联席会议",
        scheduled_at=(today + timedelta(days=3)).replace(hour=15),
        place="崇贤智慧警务站会议室",
        attendees=["community_chongxian", "property_chongxian", "school_gushan", "hospital_jinan"],
        case_ids=[noise.pk] if noise else [],
        lead_ids=[lift.pk],
        now=today,
    )


def load(*, password: str, now: datetime | None = None) -> list[DemoDisputeAccount]:
    """Create the disputes demo once (skipped when the water-leak case exists); return the
    accounts it added. Call inside the loader's transaction."""
    from jingwu.disputes.models import Case

    accounts = _accounts(password)
    _group()
    if Case.objects.filter(title=WATER_LEAK_TITLE).exists():
        return accounts
    today = (now or timezone.now()).astimezone(timezone.get_current_timezone())
    _water_leak(today)
    _other_cases(today)
    _leads_and_meeting(today)
    return accounts
