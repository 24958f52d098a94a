"""Load the Jin'an demo district: organizations, areas, people and one account per persona.

Idempotent: running it again updates names and polygons in place and resets the demo
passwords, so ``make demo`` can be run any number of times.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction

from jingwu.areas import services as area_services
from jingwu.counter import demo as counter_demo
from jingwu.demo.district import build_demo_areas, district_spec
from jingwu.disputes import demo as disputes_demo
from jingwu.eco import demo as eco_demo
from jingwu.engine.idnumber import make_id_number
from jingwu.incidents import demo as incidents_demo
from jingwu.orgs.models import Membership, Organization, OrgKind, Person, Role

BRANCH_CODE = "jinan-branch"


@dataclass(frozen=True)
class DemoAccount:
    """One persona's account as printed by ``make demo``."""

    username: str
    name: str
    role: str
    organization: str


# (code, kind, name, parent code)
PARTNERS = [
    ("community-chongxian", OrgKind.COMMUNITY, "崇贤社区居委会", "ws-chongxian"),
    (
        "property-chongxian",
        OrgKind.PROPERTY_COMPANY,
        "崇贤小区物业服务中心（示意）",
        "ws-chongxian",
    ),
    ("school-gushan", OrgKind.SCHOOL, "鼓山中心小学（示意）", "ws-chongxian"),
    ("hospital-jinan", OrgKind.HOSPITAL, "晋安区医院", "jinan-branch"),
    ("legal-aid-jinan", OrgKind.LEGAL_AID, "晋安区法律援助中心", "jinan-branch"),
    ("railway-police-fuzhou", OrgKind.RAILWAY_POLICE, "福州站铁路公安派出所（示意）", "ws-railway"),
    ("forestry-jinan", OrgKind.FORESTRY, "晋安区林业局", "ws-guling"),
    ("security-taihe", OrgKind.SECURITY_COMPANY, "泰禾广场保安服务部（示意）", "ws-taihe"),
    ("volunteers-jinan", OrgKind.VOLUNTEER_TEAM, "晋安平安志愿者队", "jinan-branch"),
    ("gulou-branch", OrgKind.BRANCH, "福州市公安局鼓楼分局", None),
    ("gulou-gudong", OrgKind.STATION, "鼓东派出所", "gulou-branch"),
]

# (username, person name, role, organization code, superuser)
PERSONAS = [
    ("duty_taihe", "陈志强", Role.DUTY_OFFICER, "ws-taihe", False),
    ("chief_chongxian", "林建华", Role.GRID_POLICE_CHIEF, "pr-350111100027", False),
    ("property_chongxian", "王丽", Role.PROPERTY_DIRECTOR, "property-chongxian", False),
    ("community_chongxian", "郑秀英", Role.COMMUNITY_DIRECTOR, "community-chongxian", False),
    ("lawyer_jinan", "黄明", Role.LAWYER, "legal-aid-jinan", False),
    ("clerk_longtou", "刘芳", Role.CLERK, "ws-longtou", False),
    ("commander_jinan", "张伟", Role.COMMANDER, BRANCH_CODE, False),
    ("outsider", "赵磊", Role.POLICE_OFFICER, "gulou-gudong", False),
    ("admin_jinan", "系统管理员", Role.ADMIN, BRANCH_CODE, True),
]


def _org(code: str, kind: str, name: str, parent: Organization | None) -> Organization:
    org, _ = Organization.objects.update_or_create(
        code=code, defaults={"kind": kind, "name": name, "parent": parent}
    )
    return org


def _organizations() -> dict[str, Organization]:
    spec = district_spec()
    orgs = {BRANCH_CODE: _org(BRANCH_CODE, OrgKind.BRANCH, spec["branch"]["name"], None)}
    for st in spec["stations"]:
        station = orgs[f"st-{st['code']}"] = _org(
            f"st-{st['code']}", OrgKind.STATION, st["name"], orgs[BRANCH_CODE]
        )
        ws = orgs[st["workstation"]["code"]] = _org(
            st["workstation"]["code"], OrgKind.WORKSTATION, st["workstation"]["name"], station
        )
        for room in st["rooms"]:
            orgs[f"pr-{room['code']}"] = _org(
                f"pr-{room['code']}", OrgKind.POLICE_ROOM, room["name"], ws
            )
    for code, kind, name, parent in PARTNERS:
        orgs[code] = _org(code, kind, name, orgs[parent] if parent else None)
    return orgs


def _areas_document(orgs: dict[str, Organization]) -> dict[str, object]:
    owner = {
        "branch": lambda a: BRANCH_CODE,
        "station": lambda a: f"st-{a.code}",
        "workstation": lambda a: a.code,
        "police_room": lambda a: f"pr-{a.code}",
        "grid": lambda a: f"pr-{a.parent_code}",
    }
    features = []
    for a in build_demo_areas():
        props = {
            "level": a.level,
            "code": a.code,
            "name": a.name,
            "parent": a.parent_code,
            "organization": owner[a.level](a),
            "illustrative": True,
            **a.properties,
        }
        features.append({"type": "Feature", "properties": props, "geometry": a.geometry})
    return {"type": "FeatureCollection", "features": features}


def _people(orgs: dict[str, Organization], password: str) -> list[DemoAccount]:
    User = get_user_model()
    accounts = []
    # One Argon2 hash (most of a second each) for every demo account: the password is the same
    # published demo password anyway.
    hashed = make_password(password)
    for n, (username, name, role, org_code, superuser) in enumerate(PERSONAS, start=1):
        user, _ = User.objects.get_or_create(username=username)
        user.is_staff = user.is_superuser = superuser
        user.password = hashed
        user.save()
        person, _ = Person.objects.update_or_create(
            user=user,
            defaults={
                "name": name,
                "phone": f"1380591{n:04d}",
                "badge": f"JA{n:04d}",
                "id_number": make_id_number(
                    "350111", date(1980 + n, n, 10 + n), n, "male" if n % 2 else "female"
                ),
            },
        )
        Membership.objects.get_or_create(person=person, organization=orgs[org_code], role=role)
        accounts.append(DemoAccount(username, name, str(Role(role).label), orgs[org_code].name))
    return accounts


def load_demo(*, password: str) -> list[DemoAccount]:
    """Create or refresh the whole demo district in one transaction; return the accounts."""
    with transaction.atomic():
        orgs = _organizations()
        area_services.import_areas(doc=_areas_document(orgs))
        return (
            _people(orgs, password)
            + [DemoAccount(**vars(a)) for a in disputes_demo.load(password=password)]
            + [DemoAccount(**vars(a)) for a in incidents_demo.load(password=password)]
            + [DemoAccount(**vars(a)) for a in eco_demo.load(password=password)]
            + counter_demo.load(password=password)
        )
