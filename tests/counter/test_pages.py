"""The pages: the citizen's booking and status pages without an account, the display, the
kiosk, and the staff pages behind a login and the right role."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from jingwu.counter.models import Appointment, ServicePoint, Ticket
from tests.counter.conftest import A_TUESDAY, Clock, first_slot, person_id

pytestmark = pytest.mark.django_db


def _client(username: str | None = None) -> Client:
    c = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    if username:
        c.force_login(get_user_model().objects.get(username=username))
    return c


def test_the_booking_page_lists_slots_and_books(longtou: ServicePoint, clock: Clock) -> None:
    c = _client()
    page = c.get(f"/counter/book/?ws={longtou.pk}&service=residence_permit&date={A_TUESDAY}")
    assert page.status_code == 200
    html = page.content.decode()
    assert "选择时段" in html and 'name="viewport"' in html
    slot = first_slot(longtou, "residence_permit", A_TUESDAY)
    me = person_id()
    r = c.post("/counter/book/", {"ws": longtou.pk, "service": "residence_permit", "date": A_TUESDAY,
                                  "slot_id": slot.pk, "name": "林秀英", "id_number": me, "phone": "13800000000"})  # fmt: skip
    assert r.status_code == 302 and r["Location"].startswith("/counter/book/done/?code=")
    done = c.get(r["Location"]).content.decode()
    code = Appointment.objects.get(id_number=me).code
    assert code in done and "林**" in done and me not in done


def test_a_bad_id_number_is_shown_next_to_its_field_and_nothing_is_written(
    longtou: ServicePoint, clock: Clock
) -> None:
    slot = first_slot(longtou, "residence_permit", A_TUESDAY)
    count = Appointment.objects.count()
    r = _client().post("/counter/book/", {"ws": longtou.pk, "service": "residence_permit", "date": A_TUESDAY,
                                          "slot_id": slot.pk, "name": "林秀英", "id_number": "350111199001011230", "phone": "138"})  # fmt: skip
    assert r.status_code == 400
    html = r.content.decode()
    assert "身份证号校验位不正确，请核对。" in html and "手机号码格式不正确" in html
    assert Appointment.objects.count() == count


def test_the_status_page_answers_404_for_wrong_digits(clock: Clock, demo: None) -> None:
    r = _client().get("/counter/status/?number=LT209901010001&id_last4=1234")
    assert r.status_code == 404
    assert "未找到与业务编号和身份证后四位相符的办件" in r.content.decode()


def test_the_display_and_the_kiosk_need_no_account(longtou: ServicePoint, clock: Clock) -> None:
    c = _client()
    r = c.post(f"/counter/kiosk/{longtou.pk}/", {"service": "travel_endorsement"})
    assert r.status_code == 200 and "D001" in r.content.decode()
    assert Ticket.objects.filter(service_point=longtou, number="D001").exists()
    display = c.get(f"/counter/display/{longtou.pk}/").content.decode()
    assert "3号窗口" in display and "出入境签注" in display
    assert c.get("/counter/display/999999/").status_code == 404


def test_the_desk_is_for_window_staff(clock: Clock, demo: None) -> None:
    assert _client().get("/counter/desk/").status_code == 302  # to the login page
    assert _client("chief_chongxian").get("/counter/desk/").status_code == 403
    # A workstation's duty officer may staff its own window, and sees only that hall.
    taihe = _client("duty_taihe").get("/counter/desk/").content.decode()
    assert "东二环泰禾商圈智慧警务站便民服务区" in taihe and "龙头" not in taihe
    r = _client("clerk_longtou").get("/counter/desk/")
    assert r.status_code == 200 and "2号窗口（居住证·签注）" in r.content.decode()


@pytest.mark.parametrize(
    "path", ["/counter/cases/", "/counter/figures/", "/counter/capacity/", "/counter/circle/"]
)
def test_staff_pages_render_for_the_commander(path: str, demo: None) -> None:
    r = _client("commander_jinan").get(path)
    assert r.status_code == 200


def test_the_figures_page_shows_the_articles_counts(longtou: ServicePoint) -> None:
    r = _client("clerk_longtou").get(
        f"/counter/figures/?ws={longtou.pk}&start=2025-01-01&end=2025-12-31"
    )
    html = r.content.decode()
    for n in ("1194", "1377", "5401"):
        assert f'<td class="num">{n}</td>' in html


def test_the_home_page_tells_the_clerk_about_due_cases(demo: None) -> None:
    html = _client("clerk_longtou").get("/").content.decode()
    assert "便民服务" in html and "/counter/desk/" in html
    assert "超期" in html and "本人首办" in html
    assert "/counter/desk/" not in _client("commander_jinan").get("/").content.decode()
