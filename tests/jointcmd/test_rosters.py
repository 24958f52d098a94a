"""Joint duty rosters through the API: the week's board, shifts from several forces, the
refusal of a person on two posts at once, copying forward, and who is on post now."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from jingwu.jointcmd.models import JointArea, Post, RosterAssignment, RosterShift
from jingwu.jointcmd.services.rosters import LOCAL, week_start
from jingwu.orgs.models import Person

pytestmark = pytest.mark.django_db
AREA = "/api/v1/jointcmd/areas/jc-railway"


def _monday(weeks: int = 0):
    return week_start(timezone.localdate()) + timedelta(days=7 * weeks)


def _free_slot(days: int = 30, hour: int = 3):
    """A time far ahead where the demo roster has nothing."""
    start = timezone.now().astimezone(LOCAL).replace(hour=hour, minute=0, second=0, microsecond=0)
    start += timedelta(days=days)
    return start, start + timedelta(hours=4)


def _person(badge: str) -> Person:
    return Person.objects.get(badge=badge)


def test_the_roster_board_shows_posts_shifts_and_the_unstaffed_shift(api) -> None:
    r = api("duty_railway").get(f"{AREA}/roster?week={_monday(1).isoformat()}")
    assert r.status_code == 200, r.content
    body = r.json()
    assert [p["name"] for p in body["posts"]] == [
        "北广场定点岗",
        "南广场定点岗",
        "进站口安检岗",
        "站前路巡区",
    ]
    forces = {p["organization"] for s in body["shifts"] for p in s["people"]}
    assert {"火车站派出所路地联勤指挥中心", "福州站铁路公安派出所（示意）"} <= forces
    unstaffed = [i for i in body["issues"] if i["kind"] == "unstaffed"]
    assert [i["post"] for i in unstaffed] == ["南广场定点岗"]
    assert unstaffed[0]["message"] == "无人在岗"


def test_a_partner_force_sees_the_roster_but_may_not_change_it(api) -> None:
    assert api("railway_police").get(f"{AREA}/roster").status_code == 200
    post = Post.objects.get(name="北广场定点岗")
    s, e = _free_slot()
    r = api("railway_police").post(
        f"{AREA}/shifts", {"post_id": post.pk, "starts_at": s.isoformat(), "ends_at": e.isoformat()}
    )
    assert r.status_code == 403
    assert r.json()["detail"][0]["msg"] == "只有该单位的值班民警、网格警长或指挥员可以执行此操作。"


def test_the_outsider_does_not_know_the_area_exists(api) -> None:
    r = api("outsider").get(f"{AREA}/roster")
    assert r.status_code == 404
    assert r.json()["detail"] == [{"type": "not_found", "msg": "联勤区域不存在。", "loc": []}]
    assert api("outsider").get("/api/v1/jointcmd/areas").json() == []


def test_a_shift_with_people_from_two_forces_is_created(api) -> None:
    post = Post.objects.get(name="北广场定点岗")
    s, e = _free_slot()
    people = [{"person_id": _person("JA1002").pk}, {"person_id": _person("TL2002").pk}]
    r = api("duty_railway").post(
        f"{AREA}/shifts",
        {
            "post_id": post.pk,
            "starts_at": s.isoformat(),
            "ends_at": e.isoformat(),
            "people": people,
        },
    )
    assert r.status_code == 201, r.content
    body = r.json()
    assert [p["organization"] for p in body["people"]] == [
        "火车站派出所路地联勤指挥中心",
        "福州站铁路公安派出所（示意）",
    ]
    assert body["staffed"] is True


def test_a_person_on_two_posts_at_once_is_refused_and_nothing_is_written(api) -> None:
    north, south = Post.objects.get(name="北广场定点岗"), Post.objects.get(name="南广场定点岗")
    s, e = _free_slot()
    li = _person("JA1002")
    client = api("duty_railway")
    body = {"post_id": north.pk, "starts_at": s.isoformat(), "ends_at": e.isoformat()}
    assert (
        client.post(f"{AREA}/shifts", body | {"people": [{"person_id": li.pk}]}).status_code == 201
    )
    shifts, duties = RosterShift.objects.count(), RosterAssignment.objects.count()
    overlapping = {
        "post_id": south.pk,
        "starts_at": (s + timedelta(hours=2)).isoformat(),
        "ends_at": (e + timedelta(hours=2)).isoformat(),
        "people": [{"person_id": _person("BA3002").pk}, {"person_id": li.pk}],
    }
    r = client.post(f"{AREA}/shifts", overlapping)
    assert r.status_code == 409
    (err,) = r.json()["detail"]
    assert err["type"] == "conflict" and err["loc"] == ["people", 1, "person_id"]
    assert err["msg"].startswith("李明辉 在 ") and "北广场定点岗" in err["msg"]
    assert (RosterShift.objects.count(), RosterAssignment.objects.count()) == (shifts, duties)


def test_the_same_refusal_when_adding_one_person(api) -> None:
    north, south = Post.objects.get(name="北广场定点岗"), Post.objects.get(name="南广场定点岗")
    s, e = _free_slot(days=31)
    client = api("duty_railway")
    li = _person("JA1003")
    client.post(
        f"{AREA}/shifts",
        {
            "post_id": north.pk,
            "starts_at": s.isoformat(),
            "ends_at": e.isoformat(),
            "people": [{"person_id": li.pk}],
        },
    )
    other = client.post(
        f"{AREA}/shifts",
        {"post_id": south.pk, "starts_at": s.isoformat(), "ends_at": e.isoformat()},
    ).json()
    r = client.post(f"{AREA}/shifts/{other['id']}/people", {"person_id": li.pk})
    assert r.status_code == 409 and r.json()["detail"][0]["loc"] == ["person_id"]
    ok = client.post(f"{AREA}/shifts/{other['id']}/people", {"person_id": _person("BA3003").pk})
    assert ok.status_code == 201 and ok.json()["organization"] == "福州火车站站区保安队（示意）"
    assert (
        client.delete(f"{AREA}/shifts/{other['id']}/people/{_person('BA3003').pk}").status_code
        == 204
    )
    again = client.delete(f"{AREA}/shifts/{other['id']}/people/{_person('BA3003').pk}")
    assert again.status_code == 404


@pytest.mark.parametrize(
    ("change", "status", "loc", "msg"),
    [
        ({"post_id": 999999}, 422, ["post_id"], "岗位不属于该联勤区域。"),
        ({"hours": -1}, 422, ["ends_at"], "结束时间必须晚于开始时间。"),
        ({"hours": 30}, 422, ["ends_at"], "一个班次不能超过 24 小时。"),
        ({"people": [{"person_id": 99999999}]}, 422, ["people", 0, "person_id"], "人员不存在。"),
        (
            {"outsider": True},
            422,
            ["people", 0, "person_id"],
            "此人不属于该联勤区域的任何一支力量。",
        ),
        ({"starts_at": "tomorrow"}, 422, ["starts_at"], "请输入日期时间（ISO 8601）。"),
    ],
)
def test_bad_shifts_get_a_field_error_and_write_nothing(api, change, status, loc, msg) -> None:
    post = Post.objects.get(name="北广场定点岗")
    s, _e = _free_slot()
    body = {
        "post_id": change.get("post_id", post.pk),
        "starts_at": change.get("starts_at", s.isoformat()),
        "ends_at": (s + timedelta(hours=change.get("hours", 4))).isoformat(),
        "people": change.get("people", []),
    }
    if change.get("outsider"):
        body["people"] = [{"person_id": Person.objects.get(user__username="outsider").pk}]
    before = RosterShift.objects.count()
    r = api("duty_railway").post(f"{AREA}/shifts", body)
    assert r.status_code == status, r.content
    assert r.json()["detail"][0]["loc"] == loc
    assert r.json()["detail"][0]["msg"] == msg
    assert RosterShift.objects.count() == before


def test_a_week_is_copied_forward_once(api) -> None:
    client = api("duty_railway")
    source = client.get(f"{AREA}/roster?week={_monday(1).isoformat()}").json()
    r = client.post(f"{AREA}/roster/copy", {"week": _monday(1).isoformat(), "weeks": 2})
    assert r.status_code == 201, r.content
    assert r.json() == {"shifts_created": 2 * len(source["shifts"])}
    copied = client.get(f"{AREA}/roster?week={_monday(3).isoformat()}").json()
    assert len(copied["shifts"]) == len(source["shifts"])
    assert [len(s["people"]) for s in copied["shifts"]] == [
        len(s["people"]) for s in source["shifts"]
    ]
    # The empty shift is copied empty, so it is flagged again in the new week.
    assert [i["post"] for i in copied["issues"] if i["kind"] == "unstaffed"] == ["南广场定点岗"]
    again = client.post(f"{AREA}/roster/copy", {"week": _monday(1).isoformat()})
    assert again.status_code == 409
    assert again.json()["detail"][0]["loc"] == ["week"]


def test_copying_an_empty_week_or_too_far_is_refused(api) -> None:
    client = api("duty_railway")
    r = client.post(f"{AREA}/roster/copy", {"week": _monday(10).isoformat()})
    assert r.status_code == 422 and r.json()["detail"][0]["msg"] == "该周没有可复制的班次。"
    r = client.post(f"{AREA}/roster/copy", {"week": _monday(1).isoformat(), "weeks": 9})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["weeks"]


def test_who_is_on_which_post_now_and_what_to_fix_before_it_starts(api) -> None:
    body = api("railway_police").get(AREA).json()
    on_post = {p["post"]: p for p in body["on_post"]}
    north = on_post["北广场定点岗"]  # around the clock: somebody is always there
    assert north["shift_id"] is not None and len(north["people"]) == 2
    # An overlapping shift put on a post tomorrow is flagged before it starts.
    post = Post.objects.get(name="北广场定点岗")
    start = timezone.now() + timedelta(hours=3)
    RosterShift.objects.create(
        post=post, starts_at=start, ends_at=start + timedelta(hours=2), min_staff=1
    )
    issues = api("duty_railway").get(AREA).json()["upcoming_issues"]
    assert {"overlap", "unstaffed"} <= {i["kind"] for i in issues}


def test_the_area_lists_its_forces_people_without_personal_data(api) -> None:
    people = api("duty_railway").get(f"{AREA}/people").json()
    assert {"吴海峰", "郭振华", "何伟"} <= {p["name"] for p in people}
    assert all(
        set(p) == {"person_id", "name", "badge", "organization_id", "organization", "role"}
        for p in people
    )
    assert JointArea.objects.get(code="jc-railway").partners.count() == 2
