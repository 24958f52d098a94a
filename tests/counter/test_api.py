"""The API as integrators and citizens use it: status codes AND error bodies."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from jingwu.audit.models import AuditEntry
from jingwu.counter.models import Appointment, ServicePoint, Slot, Window
from tests.counter.conftest import A_TUESDAY, Clock, first_slot, person_id

pytestmark = pytest.mark.django_db
Api = Callable[..., Any]


def _book(client: Any, slot: Slot, **over: str) -> Any:
    body = {"slot_id": slot.pk, "service": slot.service.code, "name": "林秀英",
            "id_number": person_id(), "phone": "13800000000", **over}  # fmt: skip
    return client.post("/api/v1/counter/appointments", body)


def test_catalogue_and_service_points_are_public(api: Api) -> None:
    services = api().get("/api/v1/counter/services").json()
    by_code = {s["code"]: s for s in services}
    assert by_code["residence_permit"]["time_limit_working_days"] == 15
    assert by_code["residence_permit"]["name"] == "居住证申领"
    points = api().get("/api/v1/counter/service-points").json()
    longtou = next(p for p in points if p["name"] == "新店龙头警务站便民服务区")
    assert len(longtou["windows"]) == 3
    assert {"residence_permit", "address_change", "travel_endorsement"} <= {
        s["code"] for s in longtou["services"]
    }
    assert any(p["kind"] == "terminal" for p in points)


def test_slot_search(api: Api, longtou: ServicePoint, clock: Clock) -> None:
    r = api().get(
        f"/api/v1/counter/slots?workstation_id={longtou.pk}&service=residence_permit&date={A_TUESDAY}"
    )
    assert r.status_code == 200
    slots = r.json()
    assert slots and set(slots[0]) >= {"id", "start", "end", "remaining"}
    assert sum(s["remaining"] for s in slots) == 12


def test_slot_search_bad_input(api: Api, longtou: ServicePoint, clock: Clock) -> None:
    r = api().get(
        f"/api/v1/counter/slots?workstation_id={longtou.pk}&service=nope&date={A_TUESDAY}"
    )
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["service"]
    r = api().get(
        f"/api/v1/counter/slots?workstation_id={longtou.pk}&service=residence_permit&date=2027-06-01"
    )
    assert (r.status_code, r.json()["detail"][0]["loc"]) == (422, ["date"])
    r = api().get(
        f"/api/v1/counter/slots?workstation_id=999999&service=residence_permit&date={A_TUESDAY}"
    )
    assert (r.status_code, r.json()["detail"][0]["type"]) == (404, "not_found")


def test_booking_201_then_full_409(api: Api, longtou: ServicePoint, clock: Clock) -> None:
    slot = first_slot(longtou, "residence_permit", A_TUESDAY)
    for _ in range(slot.capacity):
        r = _book(api(), slot)
        assert r.status_code == 201, r.content
        assert set(r.json()) >= {"id", "code"}
    r = _book(api(), slot)
    assert r.status_code == 409
    assert r.json()["detail"] == [
        {"type": "conflict", "msg": "该时段已约满，请选择其他时段。", "loc": ["slot_id"]}
    ]


def test_second_booking_the_same_day_409(api: Api, longtou: ServicePoint, clock: Clock) -> None:
    me = person_id()
    assert (
        _book(api(), first_slot(longtou, "residence_permit", A_TUESDAY), id_number=me).status_code
        == 201
    )
    other = first_slot(longtou, "travel_endorsement", A_TUESDAY, after="15:00")
    r = _book(api(), other, id_number=me)
    assert r.status_code == 409
    assert r.json()["detail"][0]["msg"] == "您当天已有一个预约，每人每天限预约一次。"
    assert Slot.objects.get(pk=other.pk).booked == 0


@pytest.mark.parametrize(
    ("id_number", "msg", "english"),
    [
        ("35011119900101123", "身份证号应为18位。", "The ID number must have 18 characters."),
        (
            "350111199001011230",
            "身份证号校验位不正确，请核对。",
            "The ID number's check digit is wrong; please check it.",
        ),
        (
            "350111199002301234",
            "身份证号中的出生日期无效。",
            "The date of birth in the ID number is not valid.",
        ),
    ],
)
def test_invalid_id_number_422_in_both_languages(
    api: Api, longtou: ServicePoint, clock: Clock, id_number: str, msg: str, english: str
) -> None:
    slot = first_slot(longtou, "residence_permit", A_TUESDAY)
    count = Appointment.objects.count()
    r = _book(api(), slot, id_number=id_number)
    assert r.status_code == 422
    assert r.json()["detail"] == [{"type": "invalid", "msg": msg, "loc": ["id_number"]}]
    r = _book(api(language="en"), slot, id_number=id_number)
    assert r.json()["detail"][0]["msg"] == english
    assert Appointment.objects.count() == count


def test_every_bad_field_is_reported_at_once(api: Api, longtou: ServicePoint, clock: Clock) -> None:
    r = _book(api(), first_slot(longtou, "residence_permit", A_TUESDAY), name="", phone="12345")
    assert r.status_code == 422
    assert [d["loc"] for d in r.json()["detail"]] == [["name"], ["phone"]]


def test_cancel_with_code_and_last4(api: Api, longtou: ServicePoint, clock: Clock) -> None:
    me = person_id()
    made = _book(api(), first_slot(longtou, "residence_permit", A_TUESDAY), id_number=me).json()
    r = api().post(
        f"/api/v1/counter/appointments/{made['code']}/cancel",
        {"id_last4": "0000" if me[-4:] != "0000" else "1111"},
    )
    assert (r.status_code, r.json()["detail"][0]["loc"]) == (404, ["code"])
    r = api().post(f"/api/v1/counter/appointments/{made['code']}/cancel", {"id_last4": me[-4:]})
    assert (r.status_code, r.json()["status"]) == (200, "cancelled")


def test_tickets_and_call_next(
    api: Api, longtou: ServicePoint, windows: dict[int, Window], clock: Clock
) -> None:
    r = api().post(
        "/api/v1/counter/tickets", {"workstation_id": longtou.pk, "service": "travel_endorsement"}
    )
    assert (r.status_code, r.json()["number"]) == (201, "D001")
    clerk = api("clerk_longtou")
    r = clerk.post(f"/api/v1/counter/windows/{windows[2].pk}/call-next")
    assert (r.status_code, r.json()["number"], r.json()["window_id"]) == (
        200,
        "D001",
        windows[2].pk,
    )
    r = clerk.post(f"/api/v1/counter/windows/{windows[2].pk}/call-next")
    assert r.status_code == 404
    assert r.json()["detail"][0]["msg"] == "当前没有等候的号。"


def test_call_next_needs_a_clerk_of_the_workstation(
    api: Api, windows: dict[int, Window], clock: Clock
) -> None:
    r = api().post(f"/api/v1/counter/windows/{windows[2].pk}/call-next")
    assert (r.status_code, r.json()["detail"][0]["type"]) == (401, "unauthenticated")
    r = api("duty_taihe").post(f"/api/v1/counter/windows/{windows[2].pk}/call-next")
    assert (r.status_code, r.json()["detail"][0]["type"]) == (403, "forbidden")


def test_a_closed_window_cannot_call(api: Api, windows: dict[int, Window], clock: Clock) -> None:
    clerk = api("clerk_longtou")
    r = clerk.post(f"/api/v1/counter/windows/{windows[3].pk}/status", {"status": "closed"})
    assert (r.status_code, r.json()["status"]) == (200, "closed")
    r = clerk.post(f"/api/v1/counter/windows/{windows[3].pk}/call-next")
    assert r.status_code == 409
    assert r.json()["detail"] == [
        {"type": "conflict", "msg": "窗口未开放，不能叫号。", "loc": ["window_id"]}
    ]
    r = clerk.post(f"/api/v1/counter/windows/{windows[3].pk}/status", {"status": "asleep"})
    assert (r.status_code, r.json()["detail"][0]["loc"]) == (422, ["status"])


def test_the_whole_path_through_the_api(
    api: Api, longtou: ServicePoint, windows: dict[int, Window], clock: Clock
) -> None:
    citizen, clerk = api(), api("clerk_longtou")
    me = person_id()
    booked = _book(citizen, first_slot(longtou, "residence_permit", A_TUESDAY), id_number=me).json()
    t = clerk.post(
        "/api/v1/counter/tickets",
        {
            "workstation_id": longtou.pk,
            "service": "residence_permit",
            "appointment_id": booked["id"],
        },
    )
    assert (t.status_code, t.json()["number"]) == (201, "Y001")
    called = clerk.post(f"/api/v1/counter/windows/{windows[2].pk}/call-next").json()
    r = clerk.post("/api/v1/counter/cases", {"window_id": windows[2].pk, "ticket_id": called["id"]})
    assert r.status_code == 201, r.content
    case = r.json()
    assert (case["first_handler"], case["due_date"], case["id_number"]) == (
        "刘芳",
        "2026-12-22",
        me,
    )
    r = clerk.post(f"/api/v1/counter/cases/{case['id']}/stage", {"stage": "ready"})
    assert (r.status_code, r.json()["stage"]) == (200, "ready")
    r = clerk.post(f"/api/v1/counter/cases/{case['id']}/stage", {"stage": "reviewing"})
    assert r.status_code == 409
    assert r.json()["detail"][0]["type"] == "invalid_transition"
    assert (
        r.json()["detail"][0]["msg"]
        == "办件不能从「已办结待领取」变为「审核中」：环节只能向前推进。"
    )
    r = citizen.get(f"/api/v1/counter/cases/status?number={case['number']}&id_last4={me[-4:]}")
    assert r.status_code == 200
    assert (r.json()["stage"], r.json()["due_date"], r.json()["applicant"]) == (
        "ready",
        "2026-12-22",
        "林**",
    )


def test_status_lookup_wrong_digits_404_then_429_and_audited(
    api: Api, windows: dict[int, Window], clerk_longtou: object, clock: Clock
) -> None:
    from tests.counter.conftest import make_case

    case = make_case(windows[2], clerk_longtou, clock.now)
    wrong = "0000" if not case.id_number.endswith("0000") else "1111"
    url = f"/api/v1/counter/cases/status?number={case.number}&id_last4="
    for _ in range(5):
        r = api().get(url + wrong)
        assert r.status_code == 404
        assert (
            r.json()["detail"][0]["msg"]
            == "未找到与业务编号和身份证后四位相符的办件，请核对后再试。"
        )
    r = api().get(url + case.id_number[-4:])
    assert r.status_code == 429
    assert r.json()["detail"] == [
        {"type": "rate_limited", "msg": "查询失败次数过多，请 15 分钟后再试。", "loc": ["id_last4"]}
    ]
    denied = AuditEntry.objects.filter(
        object_type="case_status", object_id=case.number, action="denied"
    )
    assert denied.count() == 6 and set(denied.values_list("client", flat=True)) == {"127.0.0.1"}
    r = api().get(f"/api/v1/counter/cases/status?number={case.number}&id_last4=12")
    assert (r.status_code, r.json()["detail"][0]["loc"]) == (422, ["id_last4"])


def test_case_personal_data_is_masked_for_a_commander_only_if_the_role_needs_it(
    api: Api, windows: dict[int, Window], clerk_longtou: object, clock: Clock
) -> None:
    from tests.counter.conftest import make_case

    case = make_case(windows[2], clerk_longtou, clock.now)
    r = api("commander_jinan").get(f"/api/v1/counter/cases/{case.pk}")
    assert r.status_code == 200 and r.json()["id_number"] == case.id_number
    assert r.json()["events"][0]["kind"] == "accepted"
    assert api("outsider").get(f"/api/v1/counter/cases/{case.pk}").status_code == 404
    assert api("outsider").get("/api/v1/counter/cases").json() == []


def test_capacity(api: Api) -> None:
    r = api().get(
        "/api/v1/counter/capacity?arrivals_per_hour=200&handling_minutes=3&target_minutes=0.33&service_level=0.8"
    )
    # 200 an hour × 3 minutes = 10 Erlangs: the published vector, 14 windows, Pw 0.1741.
    assert r.status_code == 200
    body = r.json()
    assert body["windows"] == 14
    assert body["prob_wait"] == pytest.approx(0.1741319335950498, abs=1e-9)
    assert body["service_level"] == pytest.approx(0.8878526926911569, abs=1e-9)
    assert set(body) >= {"windows", "prob_wait", "service_level", "mean_wait_minutes", "occupancy"}


@pytest.mark.parametrize(
    ("query", "loc"),
    [
        ("arrivals_per_hour=-1&handling_minutes=10", "arrivals_per_hour"),
        ("arrivals_per_hour=10&handling_minutes=0", "handling_minutes"),
        ("arrivals_per_hour=10&handling_minutes=10&service_level=1.5", "service_level"),
        ("arrivals_per_hour=nan&handling_minutes=10", "arrivals_per_hour"),
        ("arrivals_per_hour=abc&handling_minutes=10", "arrivals_per_hour"),
    ],
)
def test_capacity_bad_input(api: Api, query: str, loc: str) -> None:
    r = api().get(f"/api/v1/counter/capacity?{query}")
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == [loc]
