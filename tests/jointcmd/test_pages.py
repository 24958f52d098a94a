"""The joint-command and eco pages render for the people who use them and 404 for others."""

from __future__ import annotations

import pytest
from django.test import Client

from jingwu.jointcmd.models import Handover, PatrolPlan
from jingwu.jointcmd.services.patrols import qr_token

pytestmark = pytest.mark.django_db


def _client(persona, username: str) -> Client:
    c = Client()
    c.force_login(persona(username))
    return c


@pytest.mark.parametrize(
    ("user", "path", "text"),
    [
        ("duty_railway", "/jointcmd/", "联勤指挥台"),
        ("railway_police", "/jointcmd/", "福州火车站路地联勤区"),
        ("duty_railway", "/jointcmd/console/posts/", "北广场定点岗"),
        ("railway_police", "/jointcmd/console/incidents/", "共享"),
        ("duty_railway", "/jointcmd/roster/", "保存班次"),
        ("railway_police", "/jointcmd/roster/", "南广场定点岗"),
        ("duty_railway", "/jointcmd/handovers/", "生成并签名交班"),
        ("duty_railway", "/patrols/", "巡区周覆盖率"),
        ("forest_chief_guling", "/eco/", "陈林生"),
        ("police_chief_guling", "/eco/", "黄志明"),
        ("police_chief_guling", "/eco/incidents/", ""),
    ],
)
def test_pages_render(persona, user, path, text) -> None:
    r = _client(persona, user).get(path)
    assert r.status_code == 200, r.content[:500]
    assert text in r.content.decode()


def test_partners_do_not_see_the_roster_edit_forms(persona) -> None:
    assert (
        "保存班次"
        not in _client(persona, "railway_police").get("/jointcmd/roster/").content.decode()
    )


@pytest.mark.parametrize("path", ["/jointcmd/", "/jointcmd/roster/", "/eco/"])
def test_the_outsider_gets_404_pages(persona, path) -> None:
    assert _client(persona, "outsider").get(path).status_code == 404


def test_the_handover_page_is_print_ready_and_acknowledged_once(persona) -> None:
    h = Handover.objects.filter(acknowledged_at__isnull=True).latest("signed_at")
    c = _client(persona, "duty_railway")
    page = c.get(f"/jointcmd/handovers/{h.pk}/").content.decode()
    assert "交班人签字" in page and "@media print" not in page  # print rules live in the CSS
    r = c.post(f"/jointcmd/handovers/{h.pk}/acknowledge/")
    assert r.status_code == 302
    again = c.post(f"/jointcmd/handovers/{h.pk}/acknowledge/")
    assert again.status_code == 409 and "不能重复确认" in again.content.decode()
    assert _client(persona, "railway_police").get(f"/jointcmd/handovers/{h.pk}/").status_code == 404


def test_generating_a_handover_from_the_page(persona) -> None:
    c = _client(persona, "duty_railway")
    r = c.post(
        "/jointcmd/handovers/", {"desk": "ws-railway", "notes": "页面交班", "tasks": "一\n二"}
    )
    assert r.status_code == 302
    page = c.get(r["Location"]).content.decode()
    assert "页面交班" in page and "交办事项" in page
    assert r["Location"] in c.get("/jointcmd/handovers/?q=页面交班").content.decode()
    assert r["Location"] not in c.get("/jointcmd/handovers/?q=没有这回事").content.decode()


def test_a_bad_shift_from_the_board_shows_the_message_next_to_the_field(persona) -> None:
    c = _client(persona, "duty_railway")
    r = c.post("/jointcmd/roster/shift/", {"post_id": "1", "starts_at": "", "ends_at": ""})
    assert r.status_code == 422 and "请输入日期时间" in r.content.decode()


def test_the_patrol_page_and_the_scan_page(persona) -> None:
    plan = PatrolPlan.objects.get(name="火车站片区联防巡逻")
    c = _client(persona, "railway_police")
    assert "巡逻点二维码" not in c.get(f"/patrols/{plan.pk}/").content.decode()  # staff only
    assert (
        "巡逻点二维码"
        in _client(persona, "duty_railway").get(f"/patrols/{plan.pk}/").content.decode()
    )
    scan = c.get(f"/patrols/{plan.pk}/scan/?t={qr_token(plan.checkpoints.first())}")
    assert scan.status_code == 200 and "确认签到" in scan.content.decode()
    assert _client(persona, "outsider").get(f"/patrols/{plan.pk}/").status_code == 404


def test_an_eco_case_moves_through_the_page(persona) -> None:
    forest = _client(persona, "forest_chief_guling")
    r = forest.post(
        "/eco/",
        {
            "action": "case",
            "title": "过仑村非法占用林地",
            "kind": "land_occupation",
            "text": "建彩钢棚",
        },
    )
    assert r.status_code == 302
    case_url = r["Location"]
    assert forest.post(case_url + "transfer/", {"text": "移交公安"}).status_code == 302
    police_page = _client(persona, "police_chief_guling").get(case_url).content.decode()
    assert "鼓岭生态警务站" in police_page and "移交公安" in police_page
    bad = forest.post(case_url + "close/", {"text": ""})
    assert bad.status_code == 422 and "只有承办一方可以办结案件" in bad.content.decode()
    r = forest.post("/eco/", {"action": "risk", "level": "9"})
    assert r.status_code == 422 and "火险等级须为 1 至 5" in r.content.decode()


def test_the_problem_pages(persona) -> None:
    c = _client(persona, "duty_railway")
    page = c.get("/jointcmd/problems/").content.decode()
    assert "北广场出站口扒窃多发" in page and "系统发现的多发警情" in page
    from jingwu.jointcmd.models import Problem

    p = Problem.objects.get(title="北广场出站口扒窃多发")
    detail = c.get(f"/jointcmd/problems/{p.pk}/").content.decode()
    assert "应对前 90 天" in detail and "出站口加装高清探头两处" in detail
    r = c.post(
        f"/jointcmd/problems/{p.pk}/action/", {"text": "x", "owner": "ws-railway", "due_date": ""}
    )
    assert r.status_code == 422 and "请输入日期" in r.content.decode()
    r = c.post(f"/jointcmd/problems/{p.pk}/stage/", {"to": "assessment"})
    assert r.status_code == 302
    assert _client(persona, "outsider").get(f"/jointcmd/problems/{p.pk}/").status_code == 404


@pytest.mark.parametrize(
    ("user", "texts"),
    [
        ("duty_railway", ["福州火车站路地联勤区", "未结共享警情", "问题联治", "逾期措施"]),
        ("railway_police", ["福州火车站路地联勤区", "待确认接班"]),
        (
            "forest_chief_guling",
            ["鼓岭国家森林公园生态保护区", "今日森林火险：四级 高度危险", "办理中联办案件 1 件"],
        ),
        ("police_chief_guling", ["未结生态警情"]),
    ],
)
def test_home_panels(persona, user, texts) -> None:
    page = _client(persona, user).get("/").content.decode()
    for text in texts:
        assert text in page, text


def test_the_outsider_home_has_no_joint_or_eco_panel(persona) -> None:
    page = _client(persona, "outsider").get("/").content.decode()
    assert "路地联勤区" not in page and "森林火险" not in page
