"""The pages call the same use cases: forms write, errors come back next to their field."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from jingwu.disputes.models import Case, Lead
from tests.disputes.conftest import point_in

pytestmark = pytest.mark.django_db


def _client(username: str) -> Client:
    c = Client()
    c.force_login(get_user_model().objects.get(username=username))
    return c


def test_the_board_posts_a_lead_and_lists_it(demo: None) -> None:
    c = _client("property_chongxian")
    page = c.get("/disputes/").content.decode()
    assert (
        "崇贤智慧警务站双解主任群" in page and 'id="lead-list"' in page and "/events/" not in page
    )
    assert "disputes/board.js" in page  # the script listens on /events/
    lat, lon = point_in("350111100027-04")
    r = c.post(
        "/disputes/",
        {
            "text": "9号楼门口电动车乱停引发争吵",
            "address": "9号楼",
            "source": "grid_patrol",
            "lat": lat,
            "lon": lon,
            "group_id": Lead.objects.first().group_id,
        },
    )
    assert r.status_code == 302
    lead = Lead.objects.get(text="9号楼门口电动车乱停引发争吵")
    fragment = (
        _client("chief_chongxian")
        .get(f"/disputes/board/leads/?group={lead.group_id}")
        .content.decode()
    )
    assert (
        "9号楼门口电动车乱停引发争吵" in fragment
        and f"/disputes/leads/{lead.pk}/promote/" in fragment
    )
    # The reporter sees it too but may not promote it.
    own = c.get(f"/disputes/board/leads/?group={lead.group_id}").content.decode()
    assert "9号楼门口电动车乱停引发争吵" in own and f"/disputes/leads/{lead.pk}/promote/" not in own


def test_a_bad_lead_form_shows_the_message_next_to_the_field(demo: None) -> None:
    c = _client("community_chongxian")
    r = c.post("/disputes/", {"text": "", "source": "grid_patrol", "lat": "x", "lon": "119.3"})
    assert r.status_code == 422
    page = r.content.decode()
    assert '<p class="error">此字段为必填项。</p>' in page
    r = c.post(
        "/disputes/", {"text": "有纠纷", "source": "grid_patrol", "lat": "abc", "lon": "119.3"}
    )
    assert '<p class="error">坐标必须是数字。</p>' in r.content.decode()
    assert not Lead.objects.filter(text="有纠纷").exists()


def test_promoting_from_the_board_opens_the_case_page(demo: None) -> None:
    lead = Lead.objects.get(text__startswith="5号楼加装电梯")
    r = _client("chief_chongxian").post(f"/disputes/leads/{lead.pk}/promote/", {"type": "property"})
    assert r.status_code == 302
    case = Case.objects.get(leads=lead)
    assert r["Location"] == f"/disputes/cases/{case.pk}/" and case.type == "property"
    r = _client("property_chongxian").post(f"/disputes/leads/{lead.pk}/dismiss/", {"reason": "x"})
    assert r.status_code == 403


def test_the_case_page_moves_the_case_and_records_steps(demo: None) -> None:
    noise = Case.objects.get(title="楼上夜间噪音纠纷")
    c = _client("chief_chongxian")
    page = c.get(f"/disputes/cases/{noise.pk}/").content.decode()
    assert "推进阶段" in page and 'data-to="mediating"' in page and "进展记录" in page
    assert c.post(f"/disputes/cases/{noise.pk}/transition/", {"to": "mediating"}).status_code == 302
    r = c.post(f"/disputes/cases/{noise.pk}/transition/", {"to": "closed"})
    assert r.status_code == 409 and "不能从「调处」转到「结案」。" in r.content.decode()
    r = c.post(f"/disputes/cases/{noise.pk}/entry/", {"kind": "contact", "text": "电话联系高先生"})
    assert r.status_code == 302
    timeline = c.get(f"/disputes/cases/{noise.pk}/timeline/").content.decode()
    assert "电话联系高先生" in timeline and "排查 → 调处" in timeline
    r = c.post(
        f"/disputes/cases/{noise.pk}/party/", {"name": "某人", "id_number": "350111198603091234"}
    )
    assert r.status_code == 422 and "身份证号" in r.content.decode()


def test_partners_see_masked_numbers_and_no_forms_they_cannot_use(water_leak: Case) -> None:
    page = _client("property_chongxian").get(f"/disputes/cases/{water_leak.pk}/").content.decode()
    li = water_leak.parties.get(name="李先生")
    assert li.id_number not in page and li.phone not in page and "****" in page
    assert "推进阶段" not in page and "添加记录" not in page
    assert 'id="agreement-pdf"' in page
    police = _client("chief_chongxian").get(f"/disputes/cases/{water_leak.pk}/").content.decode()
    assert li.id_number in police


def test_meeting_figures_and_risk_pages_render(demo: None) -> None:
    c = _client("commander_jinan")
    for url, text in [
        ("/disputes/meetings/", "三月联席会议"),
        ("/disputes/figures/", "化解用时中位数"),
        ("/disputes/risk/", "工地欠薪纠纷"),
        ("/disputes/cases/?overdue=1", "纠纷案件"),
        ("/disputes/cases/?stage=bogus", "未知的阶段：bogus"),
    ]:
        r = c.get(url)
        assert r.status_code == 200 and text in r.content.decode(), url


def test_a_meeting_task_is_marked_done_from_the_meeting_page(demo: None) -> None:
    from jingwu.disputes.models import JointMeeting, MeetingTask

    upcoming = JointMeeting.objects.get(title="四月联席会议")
    c = _client("chief_chongxian")
    r = c.post(
        f"/disputes/meetings/{upcoming.pk}/task/",
        {"text": "走访5号楼低层住户", "owner": "community_chongxian", "due_on": "2099-01-01"},
    )
    assert r.status_code == 302
    task = MeetingTask.objects.get(text="走访5号楼低层住户")
    r = _client("community_chongxian").post(
        f"/disputes/meetings/{upcoming.pk}/done-{task.pk}/", {"note": "已走访"}
    )
    assert r.status_code == 302
    task.refresh_from_db()
    assert task.status == "done" and task.done_note == "已走访"
    r = c.post(
        f"/disputes/meetings/{upcoming.pk}/task/",
        {"text": "x", "owner": "nobody", "due_on": "2099-01-01"},
    )
    assert r.status_code == 422 and "账号不存在：nobody" in r.content.decode()


def test_the_pages_fit_a_phone(demo: None) -> None:
    r = Client().get("/static/disputes/disputes.css")
    css = b"".join(r.streaming_content).decode()
    assert "@media (max-width: 640px)" in css and "grid-template-columns: minmax(0, 1fr)" in css


def test_the_admin_configures_groups_and_stage_deadlines_and_audits_it(demo: None) -> None:
    from jingwu.audit.models import AuditEntry
    from jingwu.disputes.models import StageLimit
    from jingwu.disputes.services.common import stage_days

    c = _client("admin_jinan")
    assert c.get("/admin/disputes/directorsgroup/").status_code == 200
    assert "/admin/disputes/case/" not in c.get("/admin/").content.decode()
    r = c.post("/admin/disputes/stagelimit/add/", {"stage": "screening", "days": "5"})
    assert r.status_code == 302
    assert stage_days("screening") == 5 and StageLimit.objects.get(stage="screening").days == 5
    assert AuditEntry.objects.filter(object_type="disputes.stagelimit", action="create").exists()


def test_an_overdue_case_is_listed_on_its_mediators_home_page(demo: None) -> None:
    from datetime import timedelta

    from django.utils import timezone

    noise = Case.objects.get(title="楼上夜间噪音纠纷")
    Case.objects.filter(pk=noise.pk).update(due_at=timezone.now() - timedelta(days=2))
    chief = _client("chief_chongxian").get("/").content.decode()
    assert "我的超期纠纷案件" in chief and "【超期】" in chief and "楼上夜间噪音纠纷" in chief
    listed = _client("chief_chongxian").get("/disputes/cases/?overdue=1").content.decode()
    assert 'class="overdue"' in listed and ">楼上夜间噪音纠纷<" in listed
    # The community director mediates other cases, not this one: not on her home page.
    assert "楼上夜间噪音纠纷" not in _client("community_chongxian").get("/").content.decode()
